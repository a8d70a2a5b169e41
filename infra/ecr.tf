resource "aws_ecr_repository" "app" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy

  image_scanning_configuration {
    scan_on_push = true
  }

  #checkov:skip=CKV_AWS_136:Encrypted at rest with AES256; a customer managed key would need grants for every puller and break kms.tf's rule that only the pipeline roles use a key.
  encryption_configuration {
    encryption_type = "AES256"
  }
}

# The first task definition (ecs.tf) runs `initial`, and Terraform recreates the service on
# it when the tasks move between public and private subnets (README, day to day): it must
# never expire. ECR's lifecycle evaluation rules: "an image that matches the tagging
# requirements of a higher priority rule cannot be expired by a rule with a lower priority"
# (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html), so rule 1 selects exactly that tag (a pattern
# without wildcards) and keeps it (at most one image can carry an immutable tag); the
# "any" rule below then cannot touch it.
resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the first task definition's image (${var.initial_image_tag})"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = [var.initial_image_tag]
          countType      = "imageCountMoreThan"
          countNumber    = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Untagged layers of interrupted pushes and superseded manifests"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the newest ${var.ecr_keep_images} images (rollback targets)"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
