//! URL scraping end to end against a fixture web site on 127.0.0.1: an
//! article (title and main text, boilerplate dropped), 404/410, a slow
//! server, 10 MB bodies, a PDF, redirect chains and a loop, windows-1252
//! and Shift_JIS pages, and non-web addresses refused before any charge.
//! Every failure after the charge is refunded; the ledger adds up.

use banter_core::context::{context_block, CONTEXT_TOKEN_BUDGET};
use banter_core::ids::RecordRef;
use banter_core::ledger::{Action, EntryKind};
use banter_core::scrape::{ScrapeLimits, ScrapeRequest, ScrapeResult, Scraper};
use banter_core::{tokens, Core, Error};
use banter_mocks::site::{self, Site, SiteConfig};
use banter_tests::{count_rows, ledger_rows, rows_of_kind, verify, Env};
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
    async fn assert_fails_refunded(&self, path: &str, code: &str) {
        let err = self.scrape(path).await.expect_err("the scrape must fail");
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
        assert_eq!(error_code.as_deref(), Some(code));
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
    assert_eq!(err.code(), "not_found");
    assert_eq!(s.balance().await, 95);
    verify(&s.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_gone_are_refunded() {
    let s = scraping().await;
    s.assert_fails_refunded("/missing", "not_found").await;
    s.assert_fails_refunded("/gone", "not_found").await;
    s.assert_fails_refunded("/broken", "http_error").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_times_out_and_is_refunded() {
    let s = scraping().await;
    s.assert_fails_refunded("/slow", "timeout").await;
    // Headers at once, then a stalled body: the total timeout still holds.
    s.assert_fails_refunded("/slow-body", "timeout").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_is_too_large_whether_declared_or_streamed() {
    let s = scraping().await;
    s.assert_fails_refunded("/huge", "too_large").await;
    s.assert_fails_refunded("/huge-declared", "too_large").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_is_not_a_web_page() {
    let s = scraping().await;
    s.assert_fails_refunded("/pdf", "not_a_web_page").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_redirects_are_followed_and_a_sixth_or_a_loop_is_refused() {
    let s = scraping().await;
    s.assert_fails_refunded("/loop", "too_many_redirects").await;
    s.assert_fails_refunded("/hops/6", "too_many_redirects")
        .await;
    // A redirect to a file is refused like a file address.
    s.assert_fails_refunded("/to-file", "bad_url").await;
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
    s.assert_fails_refunded("/empty", "empty_page").await;
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
        assert_eq!(err.code(), "bad_url", "{url}: {err}");
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
