//! STS: GetCallerIdentity, so that the deployer can check, before it writes anything,
//! that the credentials belong to the account the Terraform outputs describe. Any
//! credentials are the stack's one account (the one `deployer local env` writes into the
//! outputs); nothing else of STS is served (no roles to assume, no session tokens).

pub(crate) mod api;
