//! ECR: the repository `demo` and the images local builds push to it. [`backend`] stores
//! them on disk (an image is the binary a build produced, its digest that binary's
//! sha256); [`api`] answers DescribeImages.

pub(crate) mod api;
pub mod backend;
