//! The page: one small bundle (HTML, JS, CSS) compiled into the binary. No framework, no
//! CDN, no build step: the JS builds the DOM with `textContent` only (what the stack
//! says is never parsed as HTML) and draws the chart as inline SVG.

use std::time::Duration;

const INDEX_HTML: &str = include_str!("assets/index.html");
pub(crate) const APP_JS: &str = include_str!("assets/app.js");
pub(crate) const APP_CSS: &str = include_str!("assets/app.css");

/// The page, with the run's settings in `<body data-...>` (no secret in it: the token is
/// already in the page's own URL, and the page uses relative URLs).
pub(crate) fn index_html(allow_actions: bool, interval: Duration, probe: bool) -> String {
    INDEX_HTML
        .replace("{{ACTIONS}}", if allow_actions { "on" } else { "off" })
        .replace("{{INTERVAL_MS}}", &interval.as_millis().to_string())
        .replace("{{PROBE}}", if probe { "on" } else { "off" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_filled_in() {
        let html = index_html(true, Duration::from_secs(5), false);
        assert!(html.contains(r#"data-actions="on""#));
        assert!(html.contains(r#"data-interval-ms="5000""#));
        assert!(html.contains(r#"data-probe="off""#));
        assert!(!html.contains("{{"), "a placeholder is left");
    }

    #[test]
    fn the_bundle_loads_nothing_from_elsewhere() {
        for (name, text) in [
            ("index.html", INDEX_HTML),
            ("app.js", APP_JS),
            ("app.css", APP_CSS),
        ] {
            for needle in [
                "https://",
                "src=\"http",
                "href=\"http",
                "url(http",
                "fetch('http",
                "cdn",
                "innerHTML",
                "eval(",
            ] {
                assert!(!text.contains(needle), "{name} contains {needle:?}");
            }
        }
    }
}
