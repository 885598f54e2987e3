//! A token cache shared by every client in a process (being written).
