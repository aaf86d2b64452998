cloud                  = "aws"
environment            = "staging"
region                 = "eu-west-1"
databricks_account_id  = "00000000-0000-0000-0000-000000000000"
metastore_id           = "11111111-1111-1111-1111-111111111111"
catalogs               = ["staging"]
reconcile_principal    = "33333333-3333-3333-3333-333333333333"
network_cidr           = "10.21.0.0/16"
aws_availability_zones = ["eu-west-1a", "eu-west-1b"]
warehouse_size         = "X-Small"
tags                   = { cost-center = "data-staging" }
