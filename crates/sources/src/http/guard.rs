//! The address guard: keeps fetches away from the machine itself and its private network,
//! except on the hosts a source with `allow_private` names in its own config.
//!
//! Every hop of a request (the URL asked for and each redirect, which the client follows
//! itself, see [`super::Fetcher::get`]) is checked, so neither a redirect nor DNS can route
//! around the guard:
//! - a hop whose host and port are one of the request's [`PrivateHosts`] may go anywhere
//!   (the operator vouched for that host);
//! - any other hop whose host is an IP literal is checked before it is sent
//!   ([`blocked_literal`]; the URL parser has already turned `2130706433` or `0x7f.1` into
//!   `127.0.0.1`);
//! - any other host name is resolved by [`GuardedResolver`], which drops blocked addresses
//!   and fails when none is left, so the connection can only go to an address that was
//!   checked.
//!
//! With a `[fetch] proxy`, the proxy resolves names for the requests it carries; such names
//! are resolved here first and refused when any of their addresses is blocked
//! ([`resolves_to_blocked`]). Requests to a source's own private hosts never use the proxy.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use rasd_core::SourceConfig;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::hosts::host_key;

/// True for loopback, private, link-local, unspecified, shared (CGNAT), broadcast and
/// multicast addresses, in IPv4 or IPv6 (including IPv4-mapped IPv6).
pub fn is_blocked_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_blocked_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_blocked_v4(v4);
            }
            is_blocked_v6(v6)
        }
    }
}

fn is_blocked_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
}

fn is_blocked_v6(ip: Ipv6Addr) -> bool {
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
}

/// The hosts (host and port) a request may reach on loopback or private addresses: none,
/// or those of one source with `allow_private` ([`PrivateHosts::of_source`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivateHosts {
    /// Host keys (`127.0.0.1:8080`, `intranet.local:80`).
    keys: Vec<String>,
}

impl PrivateHosts {
    /// No private host: the guard applies to every hop.
    pub fn none() -> PrivateHosts {
        PrivateHosts::default()
    }

    /// The hosts of `source`'s own `url`, `sections` and `sitemap` when it sets
    /// `allow_private`; none otherwise.
    pub fn of_source(source: &SourceConfig) -> PrivateHosts {
        if !source.allow_private {
            return PrivateHosts::none();
        }
        let mut keys: Vec<String> = std::iter::once(&source.url)
            .chain(&source.sections)
            .chain(&source.sitemap)
            .filter_map(|own| url::Url::parse(own.trim()).ok())
            .filter(|u| u.host_str().is_some())
            .map(|u| host_key(&u))
            .collect();
        keys.sort();
        keys.dedup();
        PrivateHosts { keys }
    }

    /// Only the host and port of `url` (none when it is not a URL).
    pub fn only(url: &str) -> PrivateHosts {
        let keys = url::Url::parse(url.trim())
            .ok()
            .filter(|u| u.host_str().is_some())
            .map(|u| vec![host_key(&u)])
            .unwrap_or_default();
        PrivateHosts { keys }
    }

    /// Whether `url` is on one of these hosts (same host name or literal, same port).
    pub fn allows(&self, url: &url::Url) -> bool {
        !self.keys.is_empty() && url.host_str().is_some() && self.keys.contains(&host_key(url))
    }
}

/// Whether `url`, met while reading `source` (a link in its feed, a page it links to), may
/// go to a loopback or private address: only when the source sets `allow_private` and the
/// URL's host and port are those of its `url`, one of its `sections` or its `sitemap`.
pub fn allow_private_for(source: &SourceConfig, url: &str) -> bool {
    url::Url::parse(url.trim()).is_ok_and(|u| PrivateHosts::of_source(source).allows(&u))
}

/// The blocked IP a URL's literal host names, if it names one.
pub(crate) fn blocked_literal(url: &url::Url) -> Option<IpAddr> {
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    is_blocked_ip(ip).then_some(ip)
}

/// A host that is, or resolves only to, blocked addresses.
#[derive(Debug, Clone)]
pub(crate) struct BlockedAddr {
    /// The host name or literal.
    pub host: String,
    /// The (first) blocked address.
    pub addr: IpAddr,
}

impl fmt::Display for BlockedAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is a loopback, private or link-local address ({})",
            self.host, self.addr
        )
    }
}

impl std::error::Error for BlockedAddr {}

/// A DNS resolver that only returns addresses [`is_blocked_ip`] allows, except for one
/// trusted name (the configured proxy's host, which may well be on the private network).
#[derive(Debug, Clone, Default)]
pub(crate) struct GuardedResolver {
    /// A host name resolved without the guard.
    pub trusted: Option<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let trusted = self
            .trusted
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(&host));
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| trusted || !is_blocked_ip(a.ip()))
                .collect();
            if allowed.is_empty()
                && let Some(first) = all.first()
            {
                let err: Box<dyn std::error::Error + Send + Sync> = Box::new(BlockedAddr {
                    host,
                    addr: first.ip(),
                });
                return Err(err);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// For a request a proxy will resolve: the first blocked address `host` resolves to, if
/// any. A name that does not resolve here is left to the proxy.
pub(crate) async fn resolves_to_blocked(host: &str, port: u16) -> Option<IpAddr> {
    let addrs = tokio::net::lookup_host((host, port)).await.ok()?;
    addrs.map(|a| a.ip()).find(|ip| is_blocked_ip(*ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_blocked_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "212.35.64.1", "2a00:1450::1", "100.128.0.1"] {
            assert!(!is_blocked_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_hosts() {
        let u = url::Url::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(blocked_literal(&u), Some("::1".parse().unwrap()));
        let u = url::Url::parse("http://localhost/x").unwrap();
        assert_eq!(
            blocked_literal(&u),
            None,
            "names are checked by the resolver"
        );
    }

    #[test]
    fn private_links_only_on_the_sources_own_hosts() {
        use rasd_core::SourceKind;
        let mut src = SourceConfig::new(
            "local",
            "أخبار محلية",
            SourceKind::Feed,
            "http://127.0.0.1:8080/feed.xml",
        );
        let own = "http://127.0.0.1:8080/article/1";
        assert!(!allow_private_for(&src, own), "allow_private is off");
        src.allow_private = true;
        assert!(allow_private_for(&src, own));
        assert!(
            !allow_private_for(&src, "http://127.0.0.1:6379/"),
            "another port"
        );
        assert!(!allow_private_for(&src, "http://localhost:8080/article/1"));
        assert!(!allow_private_for(
            &src,
            "http://169.254.169.254/latest/meta-data"
        ));
        assert!(!allow_private_for(&src, "not a url"));
        src.sections = vec!["http://intranet.local/أخبار".into()];
        assert!(allow_private_for(&src, "http://intranet.local/news/7"));
    }

    #[tokio::test]
    async fn resolver_refuses_localhost() {
        let name: Name = "localhost".parse().unwrap();
        let err = match GuardedResolver::default().resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        assert!(err.downcast_ref::<BlockedAddr>().is_some(), "{err}");
        let trusted = GuardedResolver {
            trusted: Some("LOCALHOST".into()),
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(trusted.resolve(name).await.is_ok(), "the proxy's own name");
        assert!(resolves_to_blocked("localhost", 80).await.is_some());
    }

    #[test]
    fn numeric_hosts_are_read_as_addresses() {
        for url in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://[::ffff:7f00:1]/",
        ] {
            let u = url::Url::parse(url).unwrap();
            assert!(blocked_literal(&u).is_some(), "{url} -> {:?}", u.host());
        }
    }

    #[test]
    fn private_hosts_of_a_source() {
        use rasd_core::SourceKind;
        let mut src =
            SourceConfig::new("local", "محلي", SourceKind::Site, "http://127.0.0.1:8080/");
        let at = |s: &str| url::Url::parse(s).unwrap();
        assert!(!PrivateHosts::of_source(&src).allows(&at("http://127.0.0.1:8080/a")));
        src.allow_private = true;
        src.sitemap = Some("http://127.0.0.1:8080/sitemap.xml".into());
        let hosts = PrivateHosts::of_source(&src);
        assert!(hosts.allows(&at("http://127.0.0.1:8080/a")));
        assert!(!hosts.allows(&at("http://127.0.0.1:8081/a")));
        assert!(!hosts.allows(&at("http://localhost:8080/a")));
        let only = PrivateHosts::only("http://[::1]:9/feed");
        assert!(only.allows(&at("http://[::1]:9/other")));
        assert!(!only.allows(&at("http://[::1]:10/")));
        assert!(!PrivateHosts::none().allows(&at("http://127.0.0.1:8080/a")));
    }
}
