//! Elastic Load Balancing v2: the NLB `demo`, its two listeners (production and test) and
//! the target groups `demo-blue`/`demo-green` with their health checks. [`backend`] holds
//! the load balancer (targets, health, which group each listener forwards to); [`api`]
//! answers the query-protocol operations the deployer and `aws elbv2` call. The data plane
//! (the TCP listeners) is [`crate::runtime::nlb`].

pub(crate) mod api;
pub(crate) mod backend;
