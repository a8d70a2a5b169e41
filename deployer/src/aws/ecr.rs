//! ECR: whether an image is in a repository.

#![warn(unreachable_pub)]

use anyhow::Context;
use aws_sdk_ecr::types::{ImageDetail, ImageIdentifier};

use crate::aws::{AwsResultExt, Ctx};
use deployer_models::image::ImageRef;

/// The image's details (DescribeImages by digest, else by tag), or `None` when the
/// answer lists none. A missing repository or image is an error of kind `NotFound`.
pub(crate) async fn describe_image(
    ctx: &Ctx,
    image: &ImageRef,
) -> anyhow::Result<Option<ImageDetail>> {
    let mut id = ImageIdentifier::builder();
    if let Some(d) = image.digest() {
        id = id.image_digest(d);
    } else if let Some(t) = image.tag() {
        id = id.image_tag(t);
    }
    let out = ctx
        .aws
        .ecr
        .describe_images()
        .repository_name(image.repository())
        .image_ids(id.build())
        .send()
        .await
        .aws("ecr:DescribeImages")
        .with_context(|| {
            format!(
                "looking up {image} in ECR repository `{}`",
                image.repository()
            )
        })?;
    Ok(out.image_details.unwrap_or_default().into_iter().next())
}
