//! net, part @K@: a JSON echo endpoint, as a hyper handler and a tower service.
use futures::future::BoxFuture;
use hyper::{Body, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::task::{Context, Poll};

/// Changed by the bench's code-change scenario.
pub const REVISION: u64 = 0;

/// What part @K@ accepts and returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
}

/// Parses an item, or says why not.
pub fn parse(body: &[u8]) -> Result<Item, serde_json::Error> {
    serde_json::from_slice(body)
}

/// Answers one request: the item back, or 400 with the reason.
pub async fn handle(req: Request<Body>) -> Result<Response<Body>, hyper::Error> {
    let body = hyper::body::to_bytes(req.into_body()).await?;
    Ok(match parse(&body) {
        Ok(item) => {
            tracing::info!(id = item.id, part = @K@, revision = REVISION, "item");
            Response::new(Body::from(serde_json::to_vec(&item).unwrap_or_default()))
        }
        Err(e) => {
            let mut resp = Response::new(Body::from(e.to_string()));
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            resp
        }
    })
}

/// The endpoint as a tower service.
#[derive(Clone, Copy, Default)]
pub struct Endpoint;

impl tower::Service<Request<Body>> for Endpoint {
    type Response = Response<Body>;
    type Error = hyper::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        Box::pin(handle(req))
    }
}

/// Serves the endpoint on a local port until `stop` resolves.
pub async fn serve(stop: impl std::future::Future<Output = ()>) -> Result<(), hyper::Error> {
    let make = hyper::service::make_service_fn(|_| async { Ok::<_, std::convert::Infallible>(Endpoint) });
    hyper::Server::bind(&([127, 0, 0, 1], 0).into())
        .serve(make)
        .with_graceful_shutdown(stop)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn echoes_an_item() {
        let item = Item { id: @K@, name: "n".into(), tags: vec!["t".into()] };
        let req = Request::new(Body::from(serde_json::to_vec(&item).unwrap()));
        let resp = Endpoint.oneshot(req).await.unwrap();
        let body = hyper::body::to_bytes(resp.into_body()).await.unwrap();
        assert_eq!(parse(&body).unwrap(), item);
    }

    #[tokio::test]
    async fn refuses_garbage() {
        let resp = Endpoint.oneshot(Request::new(Body::from("{"))).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    }
}
