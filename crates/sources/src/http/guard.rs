//! The address guard (first version): keeps fetches away from the machine itself and its
//! private network, unless a source sets `allow_private`.
//!
//! Two checks, so neither a redirect nor DNS can route around it:
//! - URLs whose host is an IP literal are checked before the request and on every redirect
//!   ([`blocked_literal`]);
//! - host names are resolved by [`GuardedResolver`], which drops blocked addresses and fails
//!   when none is left, so the connection can only go to an address that was checked.
//!
//! A source with `allow_private = true` is trusted only for the hosts its own config names
//! (its `url`, `sections` and `sitemap`): a link found in its feed or pages that points at
//! another loopback or private host is still refused ([`allow_private_for`]). When an HTTP
//! proxy is configured in the environment, the proxy resolves names and this guard only sees
//! IP literals.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use rasd_core::SourceConfig;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::hosts::host_key;

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

/// Whether `url`, met while reading `source` (a link in its feed, a page it links to), may
/// go to a loopback or private address: only when the source sets `allow_private` and the
/// URL's host and port are those of its `url`, one of its `sections` or its `sitemap`.
/// Pass the result as `allow_private` to [`crate::Fetcher::get`].
pub fn allow_private_for(source: &SourceConfig, url: &str) -> bool {
    if !source.allow_private {
        return false;
    }
    let Ok(target) = url::Url::parse(url.trim()) else {
        return false;
    };
    let key = host_key(&target);
    std::iter::once(&source.url)
        .chain(&source.sections)
        .chain(&source.sitemap)
        .filter_map(|own| url::Url::parse(own.trim()).ok())
        .any(|own| host_key(&own) == key)
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

/// A DNS resolver that only returns addresses [`is_blocked_ip`] allows.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| !is_blocked_ip(a.ip()))
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
        let err = match GuardedResolver.resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        assert!(err.downcast_ref::<BlockedAddr>().is_some(), "{err}");
    }
}
