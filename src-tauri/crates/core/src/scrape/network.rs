//! Which addresses one hop of a scrape may connect to, and the HTTP client
//! that connects to exactly those.
//!
//! A host name is resolved once per hop, here; the resolved addresses are
//! checked and pinned, and the scrape's client connects through a resolver
//! that answers only with pinned addresses (and keeps no connection for
//! reuse), so the address connected to is the address checked — a name that
//! answers "public" to the check and "127.0.0.1" to the connection (DNS
//! rebinding) gets nowhere.
//!
//! The rule depends on who asks ([`ScrapePolicy`]):
//! - [`ScrapePolicy::Local`] (the desktop): the address the user typed may
//!   be anything, loopback and private networks included (a desktop user
//!   may mean their own intranet page). A redirect is checked like a typed
//!   address and more: a hop that came from a public address may only lead
//!   to public addresses ([`Scope::is_public`]). A hop that came from a
//!   non-public address (the user's own choice of network) may stay inside
//!   non-public addresses.
//! - [`ScrapePolicy::Hosted`] (a server fetching URLs for strangers, the
//!   classic SSRF target): every hop — the typed address and each redirect
//!   — must be public, and so must every address its name resolves to.
//!   A literal address is judged before anything is charged
//!   ([`Network::check_typed`]); a name when its hop is resolved.
//!
//! Resolver and address scopes are injectable so tests can call a loopback
//! address "public" without any test ever leaving 127.0.0.0/8; the same
//! seam ([`AddressPolicy::may_connect`]) lets a test forbid connecting
//! anywhere but loopback, whatever the check under test decides.

use super::address::{literal_ip, scope_of, Scope};
use super::{ScrapeError, ScrapeLimits};
use reqwest::Url;
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

/// A boxed lookup in flight.
pub type Lookup<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>>;

/// Turns a host name into addresses.
pub trait HostResolver: Send + Sync + Debug {
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> Lookup<'a>;
}

/// Says which network an address belongs to.
pub trait AddressPolicy: Send + Sync + Debug {
    fn scope(&self, ip: IpAddr) -> Scope;

    /// A last gate just before connecting to a checked address. The
    /// product lets every checked address through; tests answer `true`
    /// for loopback only, so even a broken check cannot make a test
    /// connect off this machine.
    fn may_connect(&self, _addr: SocketAddr) -> bool {
        true
    }
}

/// Which hops of a scrape must lead only to public addresses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScrapePolicy {
    /// The desktop: the typed address may be anything; a redirect from a
    /// public hop must stay public.
    #[default]
    Local,
    /// A server fetching for strangers: every hop, the first included, and
    /// every address a name resolves to must be public.
    Hosted,
}

impl ScrapePolicy {
    /// Whether a hop reached from `origin` must be all public.
    fn requires_public(self, origin: Origin) -> bool {
        match self {
            Self::Hosted => true,
            Self::Local => origin == Origin::RedirectFrom { public: true },
        }
    }
}

/// The operating system's resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> Lookup<'a> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// The IANA special-purpose ranges ([`scope_of`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardPolicy;

impl AddressPolicy for StandardPolicy {
    fn scope(&self, ip: IpAddr) -> Scope {
        scope_of(ip)
    }
}

/// How scrapes find and judge addresses. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Network {
    resolver: Arc<dyn HostResolver>,
    /// Which network an address is in (not to be confused with the
    /// [`ScrapePolicy`] that says which hops must be public).
    scopes: Arc<dyn AddressPolicy>,
}

impl Default for Network {
    fn default() -> Self {
        Self::new(Arc::new(SystemResolver), Arc::new(StandardPolicy))
    }
}

/// Where a hop's address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The address the user typed (any address, under [`ScrapePolicy::Local`]).
    Typed,
    /// A redirect from a hop whose addresses were all public (`true`) or
    /// not.
    RedirectFrom { public: bool },
}

/// The checked addresses of one hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Connect only to these.
    pub addrs: Vec<SocketAddr>,
    /// All of them are public.
    pub public: bool,
}

impl Network {
    pub fn new(resolver: Arc<dyn HostResolver>, scopes: Arc<dyn AddressPolicy>) -> Self {
        Self { resolver, scopes }
    }

    /// Refuses, before anything is charged, a typed literal address that
    /// `policy` forbids on a first hop (names are judged by [`Self::hop`]).
    pub fn check_typed(&self, url: &Url, policy: ScrapePolicy) -> Result<(), ScrapeError> {
        match literal_ip(url) {
            Some(ip) if policy.requires_public(Origin::Typed) => {
                check_public(url, &[self.scopes.scope(ip)], Origin::Typed)
            }
            _ => Ok(()),
        }
    }

    /// Resolves `url`'s host once and checks the addresses for `origin`
    /// under `policy`.
    pub async fn hop(
        &self,
        url: &Url,
        origin: Origin,
        policy: ScrapePolicy,
    ) -> Result<Hop, ScrapeError> {
        let port = url.port_or_known_default().unwrap_or(80);
        let addrs = match literal_ip(url) {
            Some(ip) => vec![SocketAddr::new(ip, port)],
            None => {
                let host = url.host_str().unwrap_or_default();
                let addrs = self.resolver.lookup(host, port).await.map_err(|e| {
                    ScrapeError::Network(format!("cannot resolve the site's name: {e}"))
                })?;
                if addrs.is_empty() {
                    return Err(ScrapeError::Network(
                        "the site's name has no addresses".into(),
                    ));
                }
                addrs
            }
        };
        let scopes: Vec<Scope> = addrs.iter().map(|a| self.scopes.scope(a.ip())).collect();
        let public = scopes.iter().all(|s| s.is_public());
        if policy.requires_public(origin) {
            check_public(url, &scopes, origin)?;
        }
        Ok(Hop { addrs, public })
    }

    /// The last gate before connecting to `hop` ([`AddressPolicy::may_connect`]).
    pub fn check_connect(&self, hop: &Hop) -> Result<(), ScrapeError> {
        match hop.addrs.iter().find(|a| !self.scopes.may_connect(**a)) {
            Some(addr) => Err(ScrapeError::Network(format!(
                "connecting to {addr} is not allowed here"
            ))),
            None => Ok(()),
        }
    }
}

/// Refuses a hop unless every one of its addresses' `scopes` is public:
/// a typed address is [`ScrapeError::PrivateAddress`], a redirect
/// [`ScrapeError::RedirectToPrivate`].
fn check_public(url: &Url, scopes: &[Scope], origin: Origin) -> Result<(), ScrapeError> {
    let Some(scope) = scopes.iter().find(|s| !s.is_public()) else {
        return Ok(());
    };
    let (url, scope) = (url.as_str().chars().take(200).collect(), scope.label());
    Err(match origin {
        Origin::Typed => {
            tracing::info!(scope, "refused an address off the internet");
            ScrapeError::PrivateAddress { url, scope }
        }
        Origin::RedirectFrom { .. } => {
            tracing::info!(scope, "refused a redirect off the internet");
            ScrapeError::RedirectToPrivate { url, scope }
        }
    })
}

/// Host name → the checked addresses of its latest hop.
type Pins = Arc<Mutex<HashMap<String, Vec<SocketAddr>>>>;

/// The HTTP client of one scrape. It connects only to pinned addresses,
/// opens a new connection for every request (a kept connection could lead
/// to an address checked for another hop), follows no redirect itself and
/// uses no proxy (a proxy would connect to addresses nobody checked).
#[derive(Debug)]
pub struct Connector {
    client: reqwest::Client,
    pins: Pins,
}

impl Connector {
    pub fn new(limits: &ScrapeLimits) -> Result<Self, ScrapeError> {
        let pins = Pins::default();
        let client = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.total_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .pool_max_idle_per_host(0)
            .dns_resolver(Arc::new(Pinned(pins.clone())))
            .user_agent(concat!(
                "Banter/",
                env!("CARGO_PKG_VERSION"),
                " (page import)"
            ))
            .build()
            .map_err(|e| ScrapeError::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(Self { client, pins })
    }

    /// The client, with `url`'s host pinned to `hop`'s addresses.
    pub fn client_for(&self, url: &Url, hop: &Hop) -> &reqwest::Client {
        if literal_ip(url).is_none() {
            if let Some(host) = url.host_str() {
                self.pins
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(host.to_ascii_lowercase(), hop.addrs.clone());
            }
        }
        &self.client
    }
}

/// reqwest's resolver for scraping: only pinned names resolve, to their
/// pinned addresses; any other lookup is refused.
#[derive(Debug)]
struct Pinned(Pins);

impl reqwest::dns::Resolve for Pinned {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let pinned = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&host)
            .cloned();
        let result = match pinned {
            Some(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
            None => Err(io::Error::other(format!(
                "{host} was not resolved and checked before connecting"
            ))
            .into()),
        };
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use std::net::Ipv4Addr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers every name with 127.0.0.2 and counts the lookups.
    #[derive(Debug, Default)]
    struct Fixed(AtomicUsize);

    impl HostResolver for Fixed {
        fn lookup<'a>(&'a self, _host: &'a str, port: u16) -> Lookup<'a> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { Ok(vec![SocketAddr::from(([127, 0, 0, 2], port))]) })
        }
    }

    /// 127.0.0.2 is "public" for these tests; everything else as usual.
    #[derive(Debug)]
    struct TwoIsPublic;

    impl AddressPolicy for TwoIsPublic {
        fn scope(&self, ip: IpAddr) -> Scope {
            if ip == IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)) {
                Scope::Public
            } else {
                scope_of(ip)
            }
        }
    }

    fn network() -> (Network, Arc<Fixed>) {
        let resolver = Arc::new(Fixed::default());
        (
            Network::new(resolver.clone(), Arc::new(TwoIsPublic)),
            resolver,
        )
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[tokio::test]
    async fn a_public_hop_may_not_redirect_to_a_non_public_address() {
        let (net, _) = network();
        let from_public = Origin::RedirectFrom { public: true };
        for target in [
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]:8080/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
        ] {
            let err = net
                .hop(&url(target), from_public, ScrapePolicy::Local)
                .await
                .unwrap_err();
            assert_eq!(err.code(), ErrorCode::RedirectToPrivateAddress, "{target}");
        }
        // A public target is fine, and so is anything typed, or reached
        // from a non-public hop.
        assert!(
            net.hop(&url("http://127.0.0.2/"), from_public, ScrapePolicy::Local)
                .await
                .unwrap()
                .public
        );
        let typed = net
            .hop(&url("http://[::1]/"), Origin::Typed, ScrapePolicy::Local)
            .await
            .unwrap();
        assert_eq!(typed.addrs, vec!["[::1]:80".parse().unwrap()]);
        assert!(!typed.public);
        let inside = Origin::RedirectFrom { public: false };
        assert!(net
            .hop(&url("http://2130706433/"), inside, ScrapePolicy::Local)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn a_name_is_resolved_once_and_the_client_is_pinned_to_its_addresses() {
        let (net, resolver) = network();
        let target = url("http://public.test:8123/page");
        let hop = net
            .hop(
                &target,
                Origin::RedirectFrom { public: true },
                ScrapePolicy::Local,
            )
            .await
            .unwrap();
        assert_eq!(hop.addrs, vec!["127.0.0.2:8123".parse().unwrap()]);
        assert!(hop.public);
        assert_eq!(resolver.0.load(Ordering::SeqCst), 1);
        // reqwest itself resolves nothing: a name that was not pinned fails.
        let connector = Connector::new(&ScrapeLimits::default()).unwrap();
        let client = connector.client_for(&target, &hop);
        let err = client
            .get(url("http://not-pinned.test/"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_connect() || err.is_request(), "{err:?}");
        let pins = connector.pins.lock().unwrap().clone();
        assert_eq!(pins.get("public.test"), Some(&hop.addrs));
    }

    /// Names with several addresses, for the hosted policy.
    #[derive(Debug)]
    struct Several;

    impl HostResolver for Several {
        fn lookup<'a>(&'a self, host: &'a str, port: u16) -> Lookup<'a> {
            let ips: Vec<IpAddr> = match host {
                "public.test" => vec![[127, 0, 0, 2].into(), [127, 0, 0, 2].into()],
                "mixed.test" => vec![[127, 0, 0, 2].into(), [10, 0, 0, 1].into()],
                "metadata.test" => vec![[169, 254, 169, 254].into(), [127, 0, 0, 2].into()],
                "mapped.test" => vec!["::ffff:127.0.0.1".parse().unwrap()],
                _ => vec![[127, 0, 0, 1].into()],
            };
            Box::pin(async move {
                Ok(ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect())
            })
        }
    }

    const NOT_PUBLIC: [&str; 9] = [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://[fd00::1]/",
        "http://192.168.1.1/",
    ];

    const NAMES_NOT_ALL_PUBLIC: [&str; 4] = [
        "http://mixed.test/",
        "http://metadata.test/",
        "http://mapped.test/",
        "http://localhost/",
    ];

    #[tokio::test]
    async fn hosted_refuses_every_non_public_first_hop() {
        let net = Network::new(Arc::new(Several), Arc::new(TwoIsPublic));
        let hosted = ScrapePolicy::Hosted;
        for target in NOT_PUBLIC {
            let err = net.check_typed(&url(target), hosted).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PrivateAddress, "{target}");
            let err = net
                .hop(&url(target), Origin::Typed, hosted)
                .await
                .unwrap_err();
            assert_eq!(err.code(), ErrorCode::PrivateAddress, "{target}");
            // The desktop still lets the user type these.
            assert!(net.check_typed(&url(target), ScrapePolicy::Local).is_ok());
            assert!(net
                .hop(&url(target), Origin::Typed, ScrapePolicy::Local)
                .await
                .is_ok());
        }
        // A name is judged by every address it resolves to: one private
        // address is enough to refuse it, even beside a public one.
        for target in NAMES_NOT_ALL_PUBLIC {
            assert!(
                net.check_typed(&url(target), hosted).is_ok(),
                "names resolve later"
            );
            let err = net
                .hop(&url(target), Origin::Typed, hosted)
                .await
                .unwrap_err();
            assert_eq!(err.code(), ErrorCode::PrivateAddress, "{target}");
        }
        let public = net
            .hop(&url("http://public.test/"), Origin::Typed, hosted)
            .await
            .unwrap();
        assert!(public.public);
        assert_eq!(public.addrs.len(), 2);
        assert!(net.check_typed(&url("http://127.0.0.2/"), hosted).is_ok());
    }

    #[tokio::test]
    async fn hosted_refuses_every_non_public_redirect_whatever_it_came_from() {
        let net = Network::new(Arc::new(Several), Arc::new(TwoIsPublic));
        for origin in [
            Origin::RedirectFrom { public: true },
            Origin::RedirectFrom { public: false },
        ] {
            for target in NOT_PUBLIC.iter().chain(NAMES_NOT_ALL_PUBLIC.iter()) {
                let err = net
                    .hop(&url(target), origin, ScrapePolicy::Hosted)
                    .await
                    .unwrap_err();
                assert_eq!(err.code(), ErrorCode::RedirectToPrivateAddress, "{target}");
            }
            assert!(net
                .hop(&url("http://public.test/"), origin, ScrapePolicy::Hosted)
                .await
                .is_ok());
        }
        // Locally, a redirect from a non-public hop may stay inside.
        let inside = Origin::RedirectFrom { public: false };
        assert!(net
            .hop(&url("http://mixed.test/"), inside, ScrapePolicy::Local)
            .await
            .is_ok());
    }

    #[test]
    fn the_product_policy_is_local_and_lets_checked_addresses_connect() {
        assert_eq!(ScrapePolicy::default(), ScrapePolicy::Local);
        let hop = Hop {
            addrs: vec!["10.0.0.1:80".parse().unwrap()],
            public: false,
        };
        assert!(Network::default().check_connect(&hop).is_ok());
    }
}
