//! stream, part @K@: async streams, counted.
use pin_project::pin_project;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio_stream::{Stream, StreamExt};

/// What the streams of part @K@ count by.
pub const STEP: u64 = @K@ + 1;

/// 0, STEP, 2 * STEP, ... (n numbers).
pub fn multiples(n: u64) -> impl Stream<Item = u64> {
    async_stream::stream! {
        for i in 0..n {
            yield i * STEP;
        }
    }
}

/// A stream that counts what passes.
#[pin_project]
pub struct Counted<S> {
    #[pin]
    inner: S,
    pub seen: usize,
}

impl<S> Counted<S> {
    pub fn new(inner: S) -> Self {
        Counted { inner, seen: 0 }
    }
}

impl<S: Stream> Stream for Counted<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        let next = this.inner.poll_next(cx);
        if let Poll::Ready(Some(_)) = &next {
            *this.seen += 1;
        }
        next
    }
}

/// The sum of a stream, on a runtime of its own.
pub fn sum(n: u64) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    rt.block_on(multiples(n).fold(0, |a, b| a + b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        let mut s = Box::pin(Counted::new(multiples(4)));
        let all: Vec<u64> = tokio_test::block_on(async { s.as_mut().collect::<Vec<_>>().await });
        assert_eq!(all, vec![0, STEP, 2 * STEP, 3 * STEP]);
        assert_eq!(s.seen, 4);
    }

    proptest::proptest! {
        #[test]
        fn sums(n in 0u64..50) {
            proptest::prop_assert_eq!(sum(n), STEP * n * n.saturating_sub(1) / 2);
        }
    }

    #[test]
    fn quick() {
        fn prop(n: u8) -> bool {
            sum(n as u64) == STEP * (n as u64) * (n as u64).saturating_sub(1) / 2
        }
        quickcheck::quickcheck(prop as fn(u8) -> bool);
    }
}
