//! A gateway in front of a loopback server that can be taken down and
//! brought back: the network a signed-in device loses and finds again.
//!
//! Up, it forwards each TCP connection to the target byte for byte. Taking
//! it down closes every connection it carries (a kept-alive client
//! connection would otherwise go on working) and drops new ones as soon as
//! they are accepted, so a client sees what a dead network gives it: a
//! connection that closes without an answer.

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running gateway; it stops when dropped.
pub struct Gateway {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Starts a gateway on 127.0.0.1 forwarding to `target`, up.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (up, watching) = watch::channel(true);
        let task = tokio::spawn(accept(listener, target, watching));
        Ok(Self { addr, up, task })
    }

    /// `http://127.0.0.1:PORT`, the gateway's origin.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the network down (`false`) or brings it back (`true`).
    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, target: SocketAddr, up: watch::Receiver<bool>) {
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
        tokio::spawn(forward(client, target, up.clone()));
    }
}

/// Carries one connection until either side closes it or the gateway goes
/// down.
async fn forward(mut client: TcpStream, target: SocketAddr, mut up: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = up.wait_for(|up| !*up) => {}
    }
}
