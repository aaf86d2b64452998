cloud                       = "aws"
environment                 = "prod"
region                      = "eu-west-1"
databricks_account_id       = "00000000-0000-0000-0000-000000000000"
metastore_id                = "11111111-1111-1111-1111-111111111111"
catalogs                    = ["main"]
reconcile_principal         = "44444444-4444-4444-4444-444444444444"
network_cidr                = "10.22.0.0/16"
aws_availability_zones      = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
warehouse_size              = "Small"
warehouse_auto_stop_minutes = 20
tags                        = { cost-center = "data-prod" }
