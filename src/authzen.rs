//! OpenID AuthZEN Authorization API 1.0: the pure request/response types of the policy decision
//! point client (being written).
