//! A gateway in front of a loopback server that can be taken down and
//! brought back: the network a signed-in device loses and finds again.
//!
//! Up, it forwards each TCP connection to the target byte for byte. Taking
//! it down closes every connection it carries (a kept-alive client
//! connection would otherwise go on working) and drops new ones as soon as
//! they are accepted, so a client sees what a dead network gives it: a
//! connection that closes without an answer.
//!
//! It can also hold the server's answers back while still carrying the
//! requests ([`Gateway::set_answering`]): the server does what it was asked
//! and the client waits — the moment a device crashes in, having sent an
//! edit and not yet heard that it was made.

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running gateway; it stops when dropped.
pub struct Gateway {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    answering: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Starts a gateway on 127.0.0.1 forwarding to `target`, up.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (up, watching) = watch::channel(true);
        let (answering, answers) = watch::channel(true);
        let task = tokio::spawn(accept(listener, target, watching, answers));
        Ok(Self {
            addr,
            up,
            answering,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`, the gateway's origin.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the network down (`false`) or brings it back (`true`).
    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }

    /// Holds the server's answers back (`false`; requests still go
    /// through) or lets them through again, held ones first (`true`).
    pub fn set_answering(&self, answering: bool) {
        self.answering.send_replace(answering);
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(
    listener: TcpListener,
    target: SocketAddr,
    up: watch::Receiver<bool>,
    answering: watch::Receiver<bool>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors, say: a pause rather than a spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        if !*up.borrow() {
            drop(client);
            continue;
        }
        tokio::spawn(forward(client, target, up.clone(), answering.clone()));
    }
}

/// Carries one connection until either side closes it or the gateway goes
/// down; the server's bytes wait while answers are held back.
async fn forward(
    client: TcpStream,
    target: SocketAddr,
    mut up: watch::Receiver<bool>,
    answering: watch::Receiver<bool>,
) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let requests = tokio::io::copy(&mut from_client, &mut to_server);
    let answers = answer(&mut from_server, &mut to_client, answering);
    tokio::select! {
        _ = requests => {}
        _ = answers => {}
        _ = up.wait_for(|up| !*up) => {}
    }
}

/// Copies the server's bytes to the client, each read waiting until
/// answers are let through.
async fn answer(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    mut answering: watch::Receiver<bool>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let read = from.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        if answering.wait_for(|answering| *answering).await.is_err() {
            return Ok(());
        }
        to.write_all(&buffer[..read]).await?;
    }
}
