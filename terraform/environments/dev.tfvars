cloud                 = "aws"
environment           = "dev"
region                = "eu-west-1"
databricks_account_id = "00000000-0000-0000-0000-000000000000"
metastore_id          = "11111111-1111-1111-1111-111111111111"
catalogs              = ["dev"]
reconcile_principal   = "22222222-2222-2222-2222-222222222222"
network_cidr          = "10.20.0.0/16"
aws_availability_zones = ["eu-west-1a", "eu-west-1b"]
warehouse_size        = "2X-Small"
tags                  = { cost-center = "data-dev" }
