//! The address a request comes from when a reverse proxy stands in front of the server: the
//! proxy's own address is the socket's peer, and the client's is the last one the proxy
//! appended to `X-Forwarded-For`. The header is believed only when the peer is a proxy the
//! operator named (`--trusted-proxy`): anyone else could write any address into it.

use std::net::IpAddr;

use warp::http::HeaderMap;

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    pub(crate) fn new(proxies: &[IpAddr]) -> Self {
        TrustedProxies(proxies.iter().map(|ip| ip.to_canonical()).collect())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }

    /// The client's address: `peer` itself unless it is a trusted proxy; then the right-most
    /// `X-Forwarded-For` entry that is not a trusted proxy too. An entry that is not an
    /// address ends the walk at what was established so far, since a trusted proxy never
    /// writes one.
    pub(crate) fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Ok(ip) = entry.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let proxies = TrustedProxies::default();
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            proxies.client_address(ip("127.0.0.1"), &headers),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_it_appended_last() {
        let proxies = TrustedProxies::new(&[ip("127.0.0.1")]);
        // The client wrote a fake entry first; the proxy appended the real address.
        let headers = forwarded(&["10.9.9.9, 203.0.113.9"]);
        assert_eq!(
            proxies.client_address(ip("127.0.0.1"), &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_from_the_right() {
        let proxies = TrustedProxies::new(&[ip("127.0.0.1"), ip("10.0.0.2")]);
        let headers = forwarded(&["198.51.100.7", "203.0.113.9, 10.0.0.2"]);
        assert_eq!(
            proxies.client_address(ip("127.0.0.1"), &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let proxies = TrustedProxies::new(&[ip("127.0.0.1")]);
        let headers = forwarded(&["127.0.0.1"]);
        assert_eq!(
            proxies.client_address(ip("203.0.113.9"), &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn garbage_in_the_header_keeps_the_last_address_established() {
        let proxies = TrustedProxies::new(&[ip("127.0.0.1")]);
        assert_eq!(
            proxies.client_address(ip("127.0.0.1"), &forwarded(&["not-an-ip"])),
            ip("127.0.0.1")
        );
        assert_eq!(
            proxies.client_address(ip("::ffff:127.0.0.1"), &forwarded(&["x, 203.0.113.9"])),
            ip("203.0.113.9")
        );
    }
}
