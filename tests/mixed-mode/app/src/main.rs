//! Uses both libraries in one process against a tiny discovery server on loopback, and fails
//! (exit code 1) unless both clients get the right answer.

use std::io::{Read, Write};
use std::net::TcpListener;

fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    let body = format!(
        r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/auth","token_endpoint":"{issuer}/token","jwks_uri":"{issuer}/jwks"}}"#
    );
    // Serves exactly two requests (one per client), then stops.
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let (mut conn, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 8192];
            let n = conn.read(&mut buf).expect("read");
            let request = String::from_utf8_lossy(&buf[..n]);
            assert!(
                request.starts_with("GET /.well-known/openid-configuration "),
                "unexpected request: {request}"
            );
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            conn.write_all(response.as_bytes()).expect("write");
        }
    });

    let expected = format!("{issuer}/token");
    let blocking = lib_blocking::token_endpoint(&issuer).expect("blocking client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let nonblocking = runtime
        .block_on(lib_async::token_endpoint(&issuer))
        .expect("async client");
    server.join().expect("server");

    if blocking != expected || nonblocking != expected {
        eprintln!("mixed-mode: wrong answers: blocking={blocking} async={nonblocking}");
        std::process::exit(1);
    }
    println!("mixed-mode: blocking client ok ({blocking}); async client ok ({nonblocking})");
}
