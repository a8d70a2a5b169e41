//! ECR: the repository `demo` and the images pushed to it. [`backend`] stores them on disk,
//! content-addressed (an image is the binary a build produced, its digest that binary's
//! sha256); [`api`] answers ECR's calls with the serde types of [`shapes`] (botocore's
//! output shapes); [`push`] is `deployer local push`.

pub(crate) mod api;
pub mod backend;
pub mod push;
pub(crate) mod shapes;
