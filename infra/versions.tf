terraform {
  # 1.9: variable validations may refer to other variables (test_listener_port).
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 5.100.0 (the version mirrored offline; it has CodePipeline V2 triggers,
      # NLB security groups and aws_codeconnections_connection). 6.x renames arguments
      # used here (e.g. aws_region.name), so stay on the 5.x line.
      version = "~> 5.100"
    }
  }
}
