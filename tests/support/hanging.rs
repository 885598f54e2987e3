//! A server that never answers, for timeout tests. Its own thread and socket, so a hanging
//! answer cannot stall any other test's server (mockito's sleeping closures would stall its
//! shared runtime).

use std::io::Read;
use std::time::Duration;

/// A loopback URL whose server accepts one connection, reads the request and then says
/// nothing for three seconds before hanging up.
pub fn hanging_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            std::thread::sleep(Duration::from_secs(3));
        }
    });
    url
}
