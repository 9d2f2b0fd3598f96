# Remote state in S3, encrypted with a customer managed key, locked with an S3 lock file.
# The state bucket and key are created once, outside this configuration (see terraform/README.md, "Bootstrap").
# Replace the placeholders, or pass them at init time:
#   terraform init -backend-config="bucket=<state bucket>" -backend-config="kms_key_id=<key ARN>"
terraform {
  backend "s3" {
    bucket       = "fcm-guard-prod-tfstate" # placeholder: <account-specific state bucket>
    key          = "fcm-guard/prod/terraform.tfstate"
    region       = "ca-central-1"
    encrypt      = true
    use_lockfile = true
    # kms_key_id = "arn:aws:kms:ca-central-1:<account-id>:alias/fcm-guard-tfstate"
    # assume_role = { role_arn = "arn:aws:iam::<account-id>:role/fcm-guard-terraform" }
  }
}
