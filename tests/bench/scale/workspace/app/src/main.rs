//! The service: one call into every member, so the binary links them all.
fn main() {
    let item = net::part0::parse(br#"{"id":1,"name":"a","tags":[]}"#).expect("an item");
    println!("item {} (revision {})", item.id, net::part0::REVISION);
    println!("url {}", client::part0::endpoint("http://localhost/", item.id).expect("a url"));
    println!("rows {:?}", db::part0::store(&[(1, "a".into())]).expect("sqlite"));
    println!("proto {} bytes", proto::part0::to_proto(&proto::part0::Record::default()).len());
    println!("name {:?}", cli::part0::check("app"));
    println!("tally {:?}", media::part0::tally(&["a", "b", "a"]));
    println!("page {:?}", text::part0::page("app", &text::part0::render("*hi*")));
    println!("epoch {:?}", ops::part0::epoch());
    println!("hash {}", sec::part0::hash(b"app"));
    println!("sum {}", stream::part0::sum(10));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async { println!("pid {}", ops::part0::pid()) });
}
