//! Sitemaps (XML, index, Google News, gzip'd, plain text) must never panic, whatever the
//! bytes: what a site serves at its sitemap address is read by `read_site`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let url = "https://fuzz.example.jo/sitemap.xml";
    let _ = rasd_sources::fuzzing::sitemap(data, None, url);
    let _ =
        rasd_sources::fuzzing::sitemap(data, Some("application/xml; charset=windows-1256"), url);
});
