terraform {
  required_providers {
    google     = { source = "hashicorp/google" }
    databricks = { source = "databricks/databricks" }
  }
}

# --- Network: a customer-managed VPC with private Google access and Cloud NAT for egress.

resource "google_compute_network" "this" {
  name                    = "${var.name}-vpc"
  project                 = var.project
  auto_create_subnetworks = false
}

# Cluster nodes talk to each other; nothing else comes in.
resource "google_compute_firewall" "internal" {
  name      = "${var.name}-internal"
  project   = var.project
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
  }
  allow {
    protocol = "udp"
  }
  allow {
    protocol = "icmp"
  }

  source_ranges = [var.network_cidr]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "deny_ingress" {
  name      = "${var.name}-deny-ingress"
  project   = var.project
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 65000

  deny {
    protocol = "all"
  }

  source_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_subnetwork" "this" {
  name                     = "${var.name}-subnet"
  project                  = var.project
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.network_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_5_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  name    = "${var.name}-router"
  project = var.project
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  name                               = "${var.name}-nat"
  project                            = var.project
  region                             = var.region
  router                             = google_compute_router.this.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# --- Storage for Unity Catalog.

resource "google_storage_bucket" "this" {
  #checkov:skip=CKV_GCP_62:Access logs go to Cloud Audit Logs (data access), which the platform team enables per project.
  name                        = "${var.name}-unity-catalog"
  project                     = var.project
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

# --- The workspace, registered with the Databricks account.

resource "databricks_mws_networks" "this" {
  account_id   = var.databricks_account_id
  network_name = "${var.name}-network"
  gcp_network_info {
    network_project_id = var.project
    vpc_id             = google_compute_network.this.name
    subnet_id          = google_compute_subnetwork.this.name
    subnet_region      = var.region
  }
}

resource "databricks_mws_workspaces" "this" {
  account_id     = var.databricks_account_id
  workspace_name = var.name
  location       = var.region
  network_id     = databricks_mws_networks.this.network_id

  cloud_resource_container {
    gcp {
      project_id = var.project
    }
  }
}
