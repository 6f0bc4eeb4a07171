//! URL scraping end to end against a fixture web site on 127.0.0.1: an
//! article (title and main text, boilerplate dropped), 404/410, a slow
//! server, 10 MB bodies, a PDF, redirect chains and a loop, windows-1252
//! and Shift_JIS pages, non-web addresses refused before any charge,
//! pathologically deep pages, and redirects from a "public" host into
//! loopback; under the hosted policy, non-public addresses refused on every
//! hop. Every failure after the charge is refunded; the ledger adds up.
//!
//! "Public" here is 127.0.0.2: a second fixture site listens there, an
//! injected resolver answers `public.test` with it, and an injected address
//! policy calls it public. No test connects outside 127.0.0.0/8: the test
//! policy's last gate ([`AddressPolicy::may_connect`]) refuses any other
//! address, so a broken check fails a test instead of leaving the machine.

use banter_core::context::{context_block, CONTEXT_TOKEN_BUDGET};
use banter_core::ids::RecordRef;
use banter_core::ledger::{Action, EntryKind};
use banter_core::scrape::address::{scope_of, Scope};
use banter_core::scrape::network::{AddressPolicy, HostResolver, Lookup};
use banter_core::scrape::{
    Network, ScrapeLimits, ScrapePolicy, ScrapeRequest, ScrapeResult, Scraper,
};
use banter_core::ErrorCode;
use banter_core::{tokens, Core, Error};
use banter_mocks::site::{self, Site, SiteConfig};
use banter_tests::{count_rows, ledger_rows, rows_of_kind, verify, Env};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct Scrape {
    _env: Env,
    core: Core,
    scraper: Scraper,
    site: Site,
}

/// Short timeouts so the slow pages fail fast; the site's slow pages wait
/// far longer than these.
fn test_limits() -> ScrapeLimits {
    ScrapeLimits {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_millis(700),
        ..ScrapeLimits::default()
    }
}

async fn scraping() -> Scrape {
    let env = Env::new("2026-11-25T09:00:00Z");
    let core = env.open().await;
    let site = site::start_site(SiteConfig {
        slow: Duration::from_secs(20),
    })
    .await
    .expect("start the fixture site");
    let scraper = core.scraper().with_limits(test_limits()).expect("limits");
    Scrape {
        _env: env,
        core,
        scraper,
        site,
    }
}

/// The stand-in for a public address.
pub(crate) const PUBLIC_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Test names: `public.test` is [`PUBLIC_IP`] (after `flip_after` lookups
/// it turns into 127.0.0.1, as a DNS-rebinding attacker would make it),
/// `sneaky.test` and `localhost` are 127.0.0.1, `mixed.test` is
/// [`PUBLIC_IP`] and 10.0.0.1, `metadata.test` is 169.254.169.254;
/// nothing else resolves.
#[derive(Debug)]
pub(crate) struct TestResolver {
    pub(crate) lookups: AtomicUsize,
    flip_after: usize,
}

impl TestResolver {
    pub(crate) fn new(flip_after: usize) -> Arc<Self> {
        Arc::new(Self {
            lookups: AtomicUsize::new(0),
            flip_after,
        })
    }
}

impl HostResolver for TestResolver {
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> Lookup<'a> {
        let n = self.lookups.fetch_add(1, Ordering::SeqCst);
        let ips = match host {
            "public.test" if n < self.flip_after => vec![PUBLIC_IP],
            "public.test" | "sneaky.test" | "localhost" => vec![Ipv4Addr::LOCALHOST],
            "mixed.test" => vec![PUBLIC_IP, Ipv4Addr::new(10, 0, 0, 1)],
            "metadata.test" => vec![Ipv4Addr::new(169, 254, 169, 254)],
            _ => vec![],
        };
        Box::pin(async move {
            if ips.is_empty() {
                return Err(std::io::Error::other(format!("{host} is not a test name")));
            }
            Ok(ips
                .into_iter()
                .map(|ip| SocketAddr::from((ip, port)))
                .collect())
        })
    }
}

/// [`PUBLIC_IP`] is public; every other address as in the product.
#[derive(Debug)]
pub(crate) struct TestPolicy;

impl AddressPolicy for TestPolicy {
    fn scope(&self, ip: IpAddr) -> Scope {
        if ip == IpAddr::V4(PUBLIC_IP) {
            Scope::Public
        } else {
            scope_of(ip)
        }
    }

    /// Tests connect to loopback only, whatever the checks decide.
    fn may_connect(&self, addr: SocketAddr) -> bool {
        addr.ip().is_loopback()
    }
}

/// The fixtures plus a second site on [`PUBLIC_IP`], reached as
/// `public.test`.
struct Public {
    s: Scrape,
    public_site: Site,
    resolver: Arc<TestResolver>,
}

async fn with_public_host(flip_after: usize) -> Public {
    let mut s = scraping().await;
    let public_site = site::start_site_on(PUBLIC_IP.into(), SiteConfig::default())
        .await
        .expect("start the fixture site on 127.0.0.2");
    let resolver = TestResolver::new(flip_after);
    s.scraper = s
        .scraper
        .with_network(Network::new(resolver.clone(), Arc::new(TestPolicy)));
    Public {
        s,
        public_site,
        resolver,
    }
}

impl Public {
    /// `http://public.test:<port><path>`.
    fn public_url(&self, path: &str) -> String {
        format!("http://public.test:{}{path}", self.public_site.port())
    }

    /// The public page redirecting to `target`.
    fn redirect_to(&self, target: &str) -> String {
        self.public_url(&format!("/redirect?to={target}"))
    }
}

impl Scrape {
    async fn scrape(&self, path: &str) -> Result<ScrapeResult, Error> {
        self.scrape_url(&self.site.url(path), None).await
    }

    async fn scrape_url(
        &self,
        url: &str,
        project: Option<RecordRef>,
    ) -> Result<ScrapeResult, Error> {
        self.scraper
            .scrape(ScrapeRequest {
                url: url.to_string(),
                project,
                idempotency_key: None,
            })
            .await
    }

    async fn balance(&self) -> i64 {
        self.core.balance().await.expect("balance").remaining
    }

    /// The scrape of `path` failed with `code` and was refunded: balance
    /// 100, one spend of 5 and its refund, nothing stored.
    async fn assert_fails_refunded(&self, path: &str, code: ErrorCode) {
        self.assert_url_fails_refunded(&self.site.url(path), code)
            .await;
    }

    /// [`Self::assert_fails_refunded`] for a whole address.
    async fn assert_url_fails_refunded(&self, url: &str, code: ErrorCode) {
        let path = url;
        let err = self
            .scrape_url(url, None)
            .await
            .expect_err("the scrape must fail");
        assert_eq!(err.code(), code, "{path}: {err}");
        assert_eq!(self.balance().await, 100, "{path}");
        let spends = rows_of_kind(&self.core, EntryKind::Spend).await;
        let refunds = rows_of_kind(&self.core, EntryKind::Refund).await;
        assert_eq!(spends.len(), refunds.len(), "{path}: every spend refunded");
        let last = spends.last().expect("a spend");
        assert_eq!(last.action, Some(Action::UrlScrape));
        assert_eq!(last.amount, -5);
        assert_eq!(refunds.last().and_then(|r| r.refund_of), Some(last.id));
        assert_eq!(count_rows(&self.core, "project_sources").await, 0);
        assert_eq!(count_rows(&self.core, "projects").await, 0);
        let error_code: Option<String> =
            sqlx::query_scalar("SELECT error_code FROM project_jobs WHERE spend_id = ?")
                .bind(last.id)
                .fetch_one(self.core.db().pool())
                .await
                .expect("the job");
        assert_eq!(error_code.as_deref(), Some(code.as_str()));
        verify(&self.core).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_gives_its_title_and_main_text_without_boilerplate() {
    let s = scraping().await;
    let got = s.scrape("/article").await.expect("scrape");
    assert_eq!(got.source.title, site::ARTICLE_TITLE);
    assert!(
        got.source.text.contains(site::ARTICLE_SENTENCE),
        "{}",
        got.source.text
    );
    assert!(got.source.text.contains("poke test"), "{}", got.source.text);
    for boilerplate in [
        site::NAV_TEXT,
        site::FOOTER_TEXT,
        "Related: bagels",
        "Privacy",
    ] {
        assert!(
            !got.source.text.contains(boilerplate),
            "{boilerplate} in {}",
            got.source.text
        );
    }
    assert_eq!(got.source.source_url, s.site.url("/article"));
    assert_eq!(
        got.source.fetched_at,
        banter_tests::at("2026-11-25T09:00:00Z")
    );
    // A new project, named after the page, holds it.
    assert!(got.created_project);
    assert_eq!(got.project.name, site::ARTICLE_TITLE);
    let sources = s
        .core
        .projects()
        .list_sources(&RecordRef::Id(got.project.id))
        .await
        .unwrap();
    assert_eq!(sources, vec![got.source.clone()]);
    assert_eq!(got.spend.amount, -5);
    assert_eq!(s.balance().await, 95);
    let report = verify(&s.core).await;
    assert_eq!((report.entries, report.balance), (2, 95));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_can_be_stored_on_an_existing_project() {
    let s = scraping().await;
    let project = s
        .core
        .projects()
        .create_project("Baking", "")
        .await
        .unwrap();
    let got = s
        .scrape_url(&s.site.url("/plain"), Some(RecordRef::Id(project.id)))
        .await
        .unwrap();
    assert!(!got.created_project);
    assert_eq!(got.project.id, project.id);
    assert_eq!(got.source.title, "Release notes");
    assert_eq!(got.source.text, site::PLAIN_TEXT.trim_end());
    assert_eq!(count_rows(&s.core, "projects").await, 1);

    // An unknown project is refused before paying.
    let err = s
        .scrape_url(&s.site.url("/plain"), Some(RecordRef::Id(999)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(s.balance().await, 95);
    verify(&s.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_gone_are_refunded() {
    let s = scraping().await;
    s.assert_fails_refunded("/missing", ErrorCode::NotFound)
        .await;
    s.assert_fails_refunded("/gone", ErrorCode::NotFound).await;
    s.assert_fails_refunded("/broken", ErrorCode::HttpError)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_times_out_and_is_refunded() {
    let s = scraping().await;
    s.assert_fails_refunded("/slow", ErrorCode::Timeout).await;
    // Headers at once, then a stalled body: the total timeout still holds.
    s.assert_fails_refunded("/slow-body", ErrorCode::Timeout)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_is_too_large_whether_declared_or_streamed() {
    let s = scraping().await;
    s.assert_fails_refunded("/huge", ErrorCode::TooLarge).await;
    s.assert_fails_refunded("/huge-declared", ErrorCode::TooLarge)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_is_not_a_web_page() {
    let s = scraping().await;
    s.assert_fails_refunded("/pdf", ErrorCode::NotAWebPage)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_redirects_are_followed_and_a_sixth_or_a_loop_is_refused() {
    let s = scraping().await;
    s.assert_fails_refunded("/loop", ErrorCode::TooManyRedirects)
        .await;
    s.assert_fails_refunded("/hops/6", ErrorCode::TooManyRedirects)
        .await;
    // A redirect to a file is refused like a file address.
    s.assert_fails_refunded("/to-file", ErrorCode::BadUrl).await;
    let got = s.scrape("/hops/5").await.expect("five hops");
    assert_eq!(got.source.title, site::ARTICLE_TITLE);
    assert_eq!(got.source.source_url, s.site.url("/hops/0"));
    verify(&s.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_other_charsets_are_decoded() {
    let s = scraping().await;
    // windows-1252, named only in the Content-Type header.
    let latin = s.scrape("/latin1-header").await.expect("latin1");
    assert_eq!(latin.source.title, "Café menu");
    assert!(
        latin.source.text.contains(site::LATIN1_TEXT),
        "{}",
        latin.source.text
    );
    // Shift_JIS, named only in <meta charset>.
    let sjis = s.scrape("/sjis-meta").await.expect("sjis");
    assert_eq!(sjis.source.title, "日本語のページ");
    assert!(
        sjis.source.text.contains(site::SJIS_TEXT),
        "{}",
        sjis.source.text
    );
    assert!(!sjis.source.text.contains('\u{fffd}'));
    assert_eq!(s.balance().await, 90);
    verify(&s.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_text_is_refunded() {
    let s = scraping().await;
    s.assert_fails_refunded("/empty", ErrorCode::EmptyPage)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_web_addresses_are_refused_before_any_charge() {
    let s = scraping().await;
    let before = ledger_rows(&s.core).await;
    for url in [
        "file:///etc/passwd",
        "ftp://127.0.0.1/file.txt",
        "javascript:alert(1)",
        "not a url",
    ] {
        let err = s.scrape_url(url, None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUrl, "{url}: {err}");
    }
    assert_eq!(ledger_rows(&s.core).await, before, "no ledger row");
    assert_eq!(s.balance().await, 100);
    assert_eq!(count_rows(&s.core, "project_jobs").await, 0);
    verify(&s.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_scrapes_and_charges_once() {
    let s = scraping().await;
    let request = ScrapeRequest {
        url: s.site.url("/article"),
        project: None,
        idempotency_key: Some("scrape-1".into()),
    };
    let first = s.scraper.scrape(request.clone()).await.unwrap();
    let again = s.scraper.scrape(request).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.source, first.source);
    assert_eq!(again.spend, first.spend);
    assert_eq!(s.balance().await, 95);
    assert_eq!(count_rows(&s.core, "project_sources").await, 1);
    verify(&s.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_scraped_page_stays_out_of_the_chat_context_budget() {
    let s = scraping().await;
    let got = s
        .scrape("/big-article")
        .await
        .expect("scrape a 1 MB article");
    assert!(got.source.text.len() > 500_000, "{}", got.source.text.len());
    let block = context_block(s.core.projects(), CONTEXT_TOKEN_BUDGET)
        .await
        .unwrap()
        .expect("a context block");
    assert!(tokens::count(&block) <= CONTEXT_TOKEN_BUDGET, "{block}");
    assert!(block.contains(site::ARTICLE_TITLE), "{block}");
    assert!(block.contains("Saved web pages"), "{block}");
    assert!(
        block.len() < 4_000,
        "only an excerpt: {} bytes",
        block.len()
    );
}

/// 20,000 nested `<div>`s used to take minutes of CPU
/// after the charge. Now the page's shape is measured before parsing: the
/// scrape ends at once with a typed error and is refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_20000_nested_divs_is_refused_and_refunded() {
    let s = scraping().await;
    s.assert_fails_refunded("/nested/20000", ErrorCode::PageTooComplex)
        .await;
    let spends = rows_of_kind(&s.core, EntryKind::Spend).await;
    assert_eq!(spends.len(), 1);
    // The same shape within the bound is read, and charged.
    let got = s.scrape("/nested/100").await.expect("100 levels");
    assert!(
        got.source.text.contains(site::NESTED_TEXT),
        "{}",
        got.source.text
    );
    assert_eq!(s.balance().await, 95);
    let jobs: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error_code FROM project_jobs ORDER BY id")
            .fetch_all(s.core.db().pool())
            .await
            .unwrap();
    assert_eq!(
        jobs,
        [
            (
                "failed".to_string(),
                Some(ErrorCode::PageTooComplex.as_str().to_string())
            ),
            ("succeeded".to_string(), None)
        ]
    );
    verify(&s.core).await;
}

/// A page that passes the shape check but takes longer than the
/// extraction deadline fails typed and is refunded, without waiting for
/// the extraction to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extraction_past_its_deadline_is_refunded() {
    let mut s = scraping().await;
    s.scraper = s
        .scraper
        .with_limits(ScrapeLimits {
            extract_timeout: Duration::from_millis(20),
            ..test_limits()
        })
        .expect("limits");
    s.assert_fails_refunded("/nested/400", ErrorCode::ExtractionTimeout)
        .await;
}

/// A page on a public host that redirects to
/// `[::ffff:127.0.0.1]` (loopback, written as an IPv4-mapped IPv6
/// address) is refused before anything connects there, and refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_redirect_to_mapped_loopback_is_refused_and_refunded() {
    let p = with_public_host(usize::MAX).await;
    let port = p.s.site.port();
    let target = format!("http://[::ffff:127.0.0.1]:{port}/article");
    p.s.assert_url_fails_refunded(&p.redirect_to(&target), ErrorCode::RedirectToPrivateAddress)
        .await;
    // Other spellings of this machine, and a name that resolves to it.
    for target in [
        format!("http://[::1]:{port}/article"),
        format!("http://2130706433:{port}/article"),
        format!("http://0177.0.0.1:{port}/article"),
        format!("http://127.1:{port}/article"),
        format!("http://0.0.0.0:{port}/article"),
        format!("http://sneaky.test:{port}/article"),
        format!("http://localhost:{port}/article"),
    ] {
        p.s.assert_url_fails_refunded(&p.redirect_to(&target), ErrorCode::RedirectToPrivateAddress)
            .await;
    }
    assert_eq!(p.s.balance().await, 100);
    verify(&p.s.core).await;
}

/// Redirects between public hosts are followed, each hop connecting to the
/// address its name resolved to (`public.test` exists only in the test
/// resolver, and only 127.0.0.2 serves it); the user's own typed loopback
/// address still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_redirects_are_followed_and_typed_loopback_still_works() {
    let p = with_public_host(usize::MAX).await;
    let article = p.public_url("/article");
    let got =
        p.s.scrape_url(&p.redirect_to(&article), None)
            .await
            .expect("public to public");
    assert_eq!(got.source.title, site::ARTICLE_TITLE);
    assert_eq!(got.source.source_url, article);
    assert_eq!(
        p.resolver.lookups.load(Ordering::SeqCst),
        2,
        "one lookup per hop"
    );
    let typed = p.s.scrape("/article").await.expect("typed loopback");
    assert_eq!(typed.source.title, site::ARTICLE_TITLE);
    assert_eq!(p.s.balance().await, 90);
    verify(&p.s.core).await;
}

/// DNS rebinding: `public.test` answers 127.0.0.2 to the first lookup and
/// 127.0.0.1 afterwards. The redirect's hop is looked up afresh, checked
/// and refused; nothing connects to an address that was not checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_rebinds_to_loopback_between_hops_is_refused() {
    let p = with_public_host(1).await;
    let again = p.public_url("/article");
    p.s.assert_url_fails_refunded(&p.redirect_to(&again), ErrorCode::RedirectToPrivateAddress)
        .await;
    assert_eq!(p.resolver.lookups.load(Ordering::SeqCst), 2);
}

/// [`with_public_host`] under the hosted policy (a server scraping for
/// strangers).
async fn hosted() -> Public {
    let mut p = with_public_host(usize::MAX).await;
    assert_eq!(p.s.scraper.policy(), ScrapePolicy::Local, "the default");
    p.s.scraper = p.s.scraper.with_policy(ScrapePolicy::Hosted);
    p
}

/// Under the hosted policy a typed loopback, private, link-local
/// (metadata) or mapped address is refused before anything is charged or
/// connected to — `127.0.0.1` is the fixture site itself, which a missed
/// check would have scraped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_refuses_non_public_typed_addresses_before_any_charge() {
    let p = hosted().await;
    let port = p.s.site.port();
    for target in [
        format!("http://127.0.0.1:{port}/article"),
        format!("http://[::1]:{port}/article"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        format!("http://[::ffff:127.0.0.1]:{port}/article"),
        format!("http://2130706433:{port}/article"),
        "http://0.0.0.0/".to_string(),
    ] {
        let err = p.s.scrape_url(&target, None).await.expect_err(&target);
        assert_eq!(err.code(), ErrorCode::PrivateAddress, "{target}: {err}");
    }
    assert_eq!(p.s.balance().await, 100);
    assert!(rows_of_kind(&p.s.core, EntryKind::Spend).await.is_empty());
    assert_eq!(p.resolver.lookups.load(Ordering::SeqCst), 0);
    // The desktop's scraper on the same core still takes a typed loopback
    // address.
    let local = p.s.core.scraper().with_limits(test_limits()).unwrap();
    assert_eq!(local.policy(), ScrapePolicy::Local);
    let typed = local
        .scrape(ScrapeRequest {
            url: p.s.site.url("/article"),
            ..ScrapeRequest::default()
        })
        .await
        .expect("typed loopback, locally");
    assert_eq!(typed.source.title, site::ARTICLE_TITLE);
    assert_eq!(p.s.balance().await, 95);
    verify(&p.s.core).await;
}

/// A name is refused under the hosted policy when any address it resolves
/// to is not public — also beside a public one — before connecting; the
/// charge is refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_refuses_names_resolving_to_any_non_public_address() {
    let p = hosted().await;
    let port = p.s.site.port();
    for target in [
        format!("http://mixed.test:{port}/article"),
        format!("http://sneaky.test:{port}/article"),
        format!("http://localhost:{port}/article"),
        "http://metadata.test/latest/meta-data/".to_string(),
    ] {
        p.s.assert_url_fails_refunded(&target, ErrorCode::PrivateAddress)
            .await;
    }
}

/// Under the hosted policy a public page's redirect to any non-public
/// address is refused before connecting there, and refunded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_refuses_redirects_to_non_public_addresses() {
    let p = hosted().await;
    let port = p.s.site.port();
    for target in [
        format!("http://127.0.0.1:{port}/article"),
        format!("http://[::1]:{port}/article"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        format!("http://[::ffff:127.0.0.1]:{port}/article"),
        format!("http://mixed.test:{port}/article"),
        format!("http://localhost:{port}/article"),
    ] {
        p.s.assert_url_fails_refunded(&p.redirect_to(&target), ErrorCode::RedirectToPrivateAddress)
            .await;
    }
}

/// Public pages, and redirects between them, work under the hosted policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_scrapes_public_pages_and_follows_public_redirects() {
    let p = hosted().await;
    let article = p.public_url("/article");
    let direct = p.s.scrape_url(&article, None).await.expect("public page");
    assert_eq!(direct.source.title, site::ARTICLE_TITLE);
    let redirected =
        p.s.scrape_url(&p.redirect_to(&article), None)
            .await
            .expect("public to public");
    assert_eq!(redirected.source.source_url, article);
    assert_eq!(p.s.balance().await, 90);
    verify(&p.s.core).await;
}
