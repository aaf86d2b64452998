terraform {
  required_providers {
    aws        = { source = "hashicorp/aws" }
    databricks = { source = "databricks/databricks" }
  }
}

data "aws_caller_identity" "current" {}

# Encryption key for the workspace root bucket and the Unity Catalog bucket.
resource "aws_kms_key" "storage" {
  count                   = var.kms_key_arn == "" ? 1 : 0
  description             = "${var.name} lakehouse storage"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags
}

locals {
  kms_key_arn = var.kms_key_arn != "" ? var.kms_key_arn : aws_kms_key.storage[0].arn
  buckets     = { root = "${var.name}-workspace-root", data = "${var.name}-unity-catalog" }
}

# --- Network: a VPC with private subnets in two zones and a NAT for egress.

resource "aws_vpc" "this" {
  cidr_block           = var.network_cidr
  enable_dns_hostnames = true
  enable_dns_support   = true
  tags                 = merge(var.tags, { Name = var.name })
}

resource "aws_default_security_group" "closed" {
  vpc_id = aws_vpc.this.id
  tags   = var.tags
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "${aws_s3_bucket.this["root"].arn}/flow-logs/"
  tags                 = var.tags
}

resource "aws_subnet" "private" {
  count             = length(var.availability_zones)
  vpc_id            = aws_vpc.this.id
  availability_zone = var.availability_zones[count.index]
  cidr_block        = cidrsubnet(var.network_cidr, 3, count.index)
  tags              = merge(var.tags, { Name = "${var.name}-private-${count.index}" })
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.this.id
  availability_zone = var.availability_zones[0]
  cidr_block        = cidrsubnet(var.network_cidr, 3, 7)
  tags              = merge(var.tags, { Name = "${var.name}-nat" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = var.tags
}

resource "aws_eip" "nat" {
  domain = "vpc"
  tags   = var.tags
}

resource "aws_nat_gateway" "this" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
  tags          = var.tags
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
  tags = var.tags
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this.id
  }
  tags = var.tags
}

resource "aws_route_table_association" "private" {
  count          = length(aws_subnet.private)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# Cluster nodes talk to each other on every port, and out through the NAT on 443
# (control plane, Unity Catalog, S3), 3306 (legacy metastore) and 6666 (secure cluster connectivity).
resource "aws_security_group" "workspace" {
  #checkov:skip=CKV2_AWS_5:Attached by Databricks: databricks_mws_networks hands it to the workspace's cluster nodes.
  name        = "${var.name}-workspace"
  description = "Databricks cluster nodes"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "Between cluster nodes"
    from_port   = 0
    to_port     = 65535
    protocol    = "tcp"
    self        = true
  }

  egress {
    description = "Between cluster nodes"
    from_port   = 0
    to_port     = 65535
    protocol    = "tcp"
    self        = true
  }

  dynamic "egress" {
    for_each = [443, 3306, 6666]
    content {
      description = "Control plane and storage on ${egress.value}"
      from_port   = egress.value
      to_port     = egress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }

  tags = var.tags
}

# --- Storage: the workspace root bucket and the Unity Catalog bucket.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery decision per team; versioning keeps every object version here.
  #checkov:skip=CKV_AWS_18:Access logging is set by aws_s3_bucket_logging below: the data bucket logs into the root bucket, which is the log target.
  #checkov:skip=CKV2_AWS_62:No consumer listens for object events; reconcile reads the Delta log directly.
  for_each      = local.buckets
  bucket        = each.value
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = aws_s3_bucket.this
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this["data"].id
  target_bucket = aws_s3_bucket.this["root"].id
  target_prefix = "access-logs/unity-catalog/"
}

resource "aws_s3_bucket_logging" "root" {
  #checkov:skip=CKV_AWS_18:The root bucket is the log target; logging it into itself would loop.
  bucket        = aws_s3_bucket.this["root"].id
  target_bucket = aws_s3_bucket.this["root"].id
  target_prefix = "access-logs/root/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "databricks_aws_bucket_policy" "root" {
  bucket = aws_s3_bucket.this["root"].bucket
}

resource "aws_s3_bucket_policy" "root" {
  bucket = aws_s3_bucket.this["root"].id
  policy = data.databricks_aws_bucket_policy.root.json
}

# --- Identity: the role Databricks assumes to launch clusters, and the one Unity Catalog uses for data.

data "databricks_aws_assume_role_policy" "this" {
  external_id = var.databricks_account_id
}

resource "aws_iam_role" "cross_account" {
  name               = "${var.name}-cross-account"
  assume_role_policy = data.databricks_aws_assume_role_policy.this.json
  tags               = var.tags
}

data "databricks_aws_crossaccount_policy" "this" {}

resource "aws_iam_role_policy" "cross_account" {
  name   = "${var.name}-cross-account"
  role   = aws_iam_role.cross_account.id
  policy = data.databricks_aws_crossaccount_policy.this.json
}

data "databricks_aws_unity_catalog_assume_role_policy" "this" {
  aws_account_id = data.aws_caller_identity.current.account_id
  role_name      = "${var.name}-unity-catalog"
  external_id    = var.databricks_account_id
}

data "databricks_aws_unity_catalog_policy" "this" {
  aws_account_id = data.aws_caller_identity.current.account_id
  bucket_name    = aws_s3_bucket.this["data"].bucket
  role_name      = "${var.name}-unity-catalog"
  kms_name       = local.kms_key_arn
}

resource "aws_iam_role" "unity_catalog" {
  name               = "${var.name}-unity-catalog"
  assume_role_policy = data.databricks_aws_unity_catalog_assume_role_policy.this.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "unity_catalog" {
  name   = "${var.name}-unity-catalog"
  role   = aws_iam_role.unity_catalog.id
  policy = data.databricks_aws_unity_catalog_policy.this.json
}

# --- The workspace, registered with the Databricks account.

resource "databricks_mws_credentials" "this" {
  credentials_name = "${var.name}-credentials"
  role_arn         = aws_iam_role.cross_account.arn
}

resource "databricks_mws_storage_configurations" "this" {
  account_id                 = var.databricks_account_id
  storage_configuration_name = "${var.name}-storage"
  bucket_name                = aws_s3_bucket.this["root"].bucket
}

resource "databricks_mws_networks" "this" {
  account_id         = var.databricks_account_id
  network_name       = "${var.name}-network"
  vpc_id             = aws_vpc.this.id
  subnet_ids         = aws_subnet.private[*].id
  security_group_ids = [aws_security_group.workspace.id]
}

resource "databricks_mws_workspaces" "this" {
  account_id               = var.databricks_account_id
  workspace_name           = var.name
  aws_region               = var.region
  credentials_id           = databricks_mws_credentials.this.credentials_id
  storage_configuration_id = databricks_mws_storage_configurations.this.storage_configuration_id
  network_id               = databricks_mws_networks.this.network_id
}
