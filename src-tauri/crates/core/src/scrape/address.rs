//! Which network an IP address belongs to: the public internet, or
//! somewhere a web page on the internet must not send Banter (this
//! machine, the local network, link-local cloud metadata, multicast,
//! reserved and documentation ranges). Redirect checks use it
//! ([`super::network`]).
//!
//! Host names are not handled here: the `url` crate (WHATWG URL parsing)
//! already turns `http://2130706433/`, `http://0177.0.0.1/` and
//! `http://0x7f.1/` into the address 127.0.0.1, and `[::ffff:127.0.0.1]`
//! into an IPv6 address, which [`scope_of`] unwraps to the IPv4 inside.
//! The ranges are IANA's special-purpose registries (RFC 6890 and updates).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where an address leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Routable on the public internet.
    Public,
    /// 0.0.0.0/8 or `::` — on most systems this reaches the machine itself.
    Unspecified,
    /// 127.0.0.0/8 or `::1`.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT) and
    /// fc00::/7 (unique local) — someone's own network.
    Private,
    /// 169.254/16 and fe80::/10 (also where cloud metadata services live).
    LinkLocal,
    /// 224/4 and ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// Anything else not routable on the internet: 192.0.0/24, 198.18/15,
    /// 240/4, IPv6 outside 2000::/3, 2001::/23, site-local, …
    Reserved,
}

impl Scope {
    pub fn is_public(self) -> bool {
        self == Self::Public
    }

    /// A few words for error messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unspecified => "unspecified (this machine)",
            Self::Loopback => "loopback (this machine)",
            Self::Private => "private network",
            Self::LinkLocal => "link-local",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Documentation => "documentation-only",
            Self::Reserved => "reserved",
        }
    }
}

/// The scope of `ip`; IPv6 addresses that carry an IPv4 address (mapped
/// `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
/// `2002::/16`) are judged by that IPv4 address.
pub fn scope_of(ip: IpAddr) -> Scope {
    match ip {
        IpAddr::V4(v4) => scope_of_v4(v4),
        IpAddr::V6(v6) => scope_of_v6(v6),
    }
}

fn scope_of_v4(ip: Ipv4Addr) -> Scope {
    let [a, b, c, _] = ip.octets();
    if a == 0 {
        Scope::Unspecified
    } else if ip.is_loopback() {
        Scope::Loopback
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Scope::Private
    } else if ip.is_link_local() {
        Scope::LinkLocal
    } else if ip.is_broadcast() {
        Scope::Broadcast
    } else if ip.is_multicast() {
        Scope::Multicast
    } else if ip.is_documentation() {
        Scope::Documentation
    } else if (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 88 && c == 99)
        || a >= 240
    {
        Scope::Reserved
    } else {
        Scope::Public
    }
}

fn scope_of_v6(ip: Ipv6Addr) -> Scope {
    if ip.is_unspecified() {
        return Scope::Unspecified;
    }
    if ip.is_loopback() {
        return Scope::Loopback;
    }
    if let Some(v4) = embedded_v4(ip) {
        return scope_of_v4(v4);
    }
    let s = ip.segments();
    if s[0] & 0xff00 == 0xff00 {
        Scope::Multicast
    } else if s[0] & 0xfe00 == 0xfc00 {
        Scope::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        Scope::LinkLocal
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || s[0] & 0xfff0 == 0x3ff0 {
        Scope::Documentation
    } else if s[0] & 0xe000 != 0x2000 || (s[0] == 0x2001 && s[1] < 0x0200) {
        // Outside global unicast 2000::/3 (site-local fec0::/10, discard
        // 100::/64, NAT64 local-use 64:ff9b:1::/48, …), or IETF protocol
        // assignments 2001::/23 (Teredo, benchmarking, ORCHID).
        Scope::Reserved
    } else {
        Scope::Public
    }
}

/// The host of `url` when it is an IP address (IPv6 without brackets).
/// The `url` crate has already normalised every IPv4 spelling to dotted
/// decimal, so a host that does not parse here is a name.
pub fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4
/// IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6].iter().all(|&x| x == 0) {
        // IPv4-compatible (deprecated); `::` and `::1` were handled before.
        return Some(tail(s[6], s[7]));
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0) {
        return Some(tail(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(tail(s[1], s[2]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(text: &str) -> Scope {
        scope_of(text.parse().expect(text))
    }

    /// The scope of the host of `url` as the `url` crate parses it.
    fn host_scope(url: &str) -> Scope {
        let url = reqwest::Url::parse(url).expect(url);
        scope_of(literal_ip(&url).expect("the host should have parsed as an address"))
    }

    #[test]
    fn public_addresses() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(scope(ip), Scope::Public, "{ip}");
        }
    }

    #[test]
    fn ipv4_special_ranges() {
        let cases = [
            ("0.0.0.0", Scope::Unspecified),
            ("0.1.2.3", Scope::Unspecified),
            ("127.0.0.1", Scope::Loopback),
            ("127.255.255.254", Scope::Loopback),
            ("10.0.0.1", Scope::Private),
            ("172.16.0.1", Scope::Private),
            ("172.31.255.255", Scope::Private),
            ("192.168.1.1", Scope::Private),
            ("100.64.0.1", Scope::Private),
            ("100.127.255.255", Scope::Private),
            ("169.254.169.254", Scope::LinkLocal),
            ("224.0.0.1", Scope::Multicast),
            ("239.255.255.250", Scope::Multicast),
            ("255.255.255.255", Scope::Broadcast),
            ("192.0.2.1", Scope::Documentation),
            ("198.51.100.1", Scope::Documentation),
            ("203.0.113.1", Scope::Documentation),
            ("192.0.0.170", Scope::Reserved),
            ("198.18.0.1", Scope::Reserved),
            ("240.0.0.1", Scope::Reserved),
        ];
        for (ip, want) in cases {
            assert_eq!(scope(ip), want, "{ip}");
        }
    }

    #[test]
    fn ipv6_special_ranges_and_embedded_ipv4() {
        let cases = [
            ("::", Scope::Unspecified),
            ("::1", Scope::Loopback),
            ("::ffff:127.0.0.1", Scope::Loopback),
            ("::ffff:7f00:1", Scope::Loopback),
            ("::ffff:10.1.2.3", Scope::Private),
            ("::ffff:169.254.169.254", Scope::LinkLocal),
            ("::ffff:0.0.0.0", Scope::Unspecified),
            ("::127.0.0.1", Scope::Loopback),
            ("::192.168.0.1", Scope::Private),
            ("64:ff9b::7f00:1", Scope::Loopback),
            ("2002:7f00:1::", Scope::Loopback),
            ("2002:c0a8:101::1", Scope::Private),
            ("fc00::1", Scope::Private),
            ("fd12:3456::1", Scope::Private),
            ("fe80::1", Scope::LinkLocal),
            ("febf::1", Scope::LinkLocal),
            ("fec0::1", Scope::Reserved),
            ("ff02::1", Scope::Multicast),
            ("2001:db8::1", Scope::Documentation),
            ("3fff::1", Scope::Documentation),
            ("2001::1", Scope::Reserved),
            ("100::1", Scope::Reserved),
            ("64:ff9b:1::1", Scope::Reserved),
        ];
        for (ip, want) in cases {
            assert_eq!(scope(ip), want, "{ip}");
        }
    }

    /// Decimal, octal, hex and shortened IPv4 hosts and bracketed IPv6
    /// hosts reach this module already parsed: the `url` crate normalises
    /// them as browsers do, so no spelling of loopback slips through.
    #[test]
    fn odd_spellings_of_loopback_are_parsed_by_the_url_crate() {
        for (url, host) in [
            ("http://2130706433/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://0x7f.0.0.1/", "127.0.0.1"),
            ("http://127.1/", "127.0.0.1"),
            ("http://017700000001/", "127.0.0.1"),
            ("http://[::1]/", "[::1]"),
            ("http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"),
            ("http://0/", "0.0.0.0"),
            ("http://3232235777/", "192.168.1.1"),
        ] {
            let parsed = reqwest::Url::parse(url).expect(url);
            assert_eq!(parsed.host_str(), Some(host), "{url}");
            assert!(!host_scope(url).is_public(), "{url}");
        }
        for name in [
            "http://example.com/",
            "http://localhost/",
            "http://1.2.3.example/",
        ] {
            let parsed = reqwest::Url::parse(name).expect(name);
            assert_eq!(literal_ip(&parsed), None, "{name}");
        }
        assert_eq!(host_scope("http://2130706433/"), Scope::Loopback);
        assert_eq!(host_scope("http://0177.0.0.1/"), Scope::Loopback);
        assert_eq!(host_scope("http://[::1]/"), Scope::Loopback);
        assert_eq!(host_scope("http://[::ffff:127.0.0.1]/"), Scope::Loopback);
        assert_eq!(host_scope("http://134744072/"), Scope::Public);
    }
}
