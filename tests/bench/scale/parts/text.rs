//! text, part @K@: Markdown to a templated page, XML, Unicode, diffs.
use unicode_segmentation::UnicodeSegmentation;

/// Markdown to HTML.
pub fn render(md: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(md));
    out
}

/// A page with a title and an HTML body.
pub fn page(title: &str, body: &str) -> tera::Result<String> {
    let mut tera = tera::Tera::default();
    tera.add_raw_template("p@K@", "<h1>{{ title }}</h1>{{ body | safe }}")?;
    let mut ctx = tera::Context::new();
    ctx.insert("title", title);
    ctx.insert("body", body);
    tera.render("p@K@", &ctx)
}

/// Nodes of an XML document, with roxmltree.
pub fn count_nodes(xml: &str) -> Result<usize, roxmltree::Error> {
    Ok(roxmltree::Document::parse(xml)?.descendants().count())
}

/// Start tags of an XML document, with quick-xml.
pub fn count_starts(xml: &str) -> Result<usize, quick_xml::Error> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        match reader.read_event_into(&mut buf)? {
            quick_xml::events::Event::Start(_) | quick_xml::events::Event::Empty(_) => n += 1,
            quick_xml::events::Event::Eof => return Ok(n),
            _ => {}
        }
        buf.clear();
    }
}

/// User-perceived characters.
pub fn graphemes(s: &str) -> usize {
    s.graphemes(true).count()
}

/// Windows-1252 bytes as text.
pub fn decode(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()
}

/// Lines of at most 20 + @K@ columns.
pub fn wrap(s: &str) -> Vec<String> {
    textwrap::wrap(s, 20 + @K@).into_iter().map(|c| c.into_owned()).collect()
}

/// How alike two texts are, from 0 to 1.
pub fn likeness(a: &str, b: &str) -> f32 {
    similar::TextDiff::from_chars(a, b).ratio()
}

/// Whether version `a` is newer than `b`.
pub fn newer(a: &str, b: &str) -> Result<bool, semver::Error> {
    Ok(semver::Version::parse(a)? > semver::Version::parse(b)?)
}

/// Whether a file name is Rust source.
pub fn is_rust(name: &str) -> bool {
    glob::Pattern::new("*.rs").map(|p| p.matches(name)).unwrap_or(false)
}

/// Files below `dir` that no ignore file hides.
pub fn visible(dir: &std::path::Path) -> usize {
    ignore::WalkBuilder::new(dir).build().filter_map(Result::ok).count()
}

/// A span of the input, as pest gives it.
pub fn first_word(s: &str) -> Option<&str> {
    let end = s.find(' ').unwrap_or(s.len());
    pest::Span::new(s, 0, end).map(|span| span.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_renders() {
        let html = page("t", &render("*part @K@*")).unwrap();
        assert!(html.contains("<em>part @K@</em>"));
    }

    #[test]
    fn text_tools() {
        assert_eq!(count_nodes("<a><b/></a>").unwrap(), 3);
        assert_eq!(count_starts("<a><b/></a>").unwrap(), 2);
        assert_eq!(graphemes("e\u{301}x"), 2);
        assert_eq!(decode(b"\x80"), "\u{20ac}");
        assert!(likeness("abc", "abd") > 0.5);
        assert!(newer("1.2.0", "1.1.9").unwrap());
        assert!(is_rust("a.rs") && !wrap("a b c").is_empty());
        assert_eq!(first_word("hello world"), Some("hello"));
    }
}
