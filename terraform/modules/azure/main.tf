terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm" }
  }
}

resource "azurerm_resource_group" "this" {
  name     = "${var.name}-rg"
  location = var.region
  tags     = var.tags
}

# --- Network: VNet injection, with the two subnets Databricks delegates.

resource "azurerm_virtual_network" "this" {
  name                = "${var.name}-vnet"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = [var.network_cidr]
  tags                = var.tags
}

resource "azurerm_network_security_group" "this" {
  name                = "${var.name}-nsg"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = var.tags
}

locals {
  subnets = { public = cidrsubnet(var.network_cidr, 2, 0), private = cidrsubnet(var.network_cidr, 2, 1) }
}

resource "azurerm_subnet" "this" {
  #checkov:skip=CKV2_AZURE_31:The network security group is associated below (azurerm_subnet_network_security_group_association).
  for_each             = local.subnets
  name                 = "${var.name}-${each.key}"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [each.value]

  delegation {
    name = "databricks"
    service_delegation {
      name = "Microsoft.Databricks/workspaces"
      actions = [
        "Microsoft.Network/virtualNetworks/subnets/join/action",
        "Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action",
        "Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action",
      ]
    }
  }
}

resource "azurerm_subnet_network_security_group_association" "this" {
  for_each                  = azurerm_subnet.this
  subnet_id                 = each.value.id
  network_security_group_id = azurerm_network_security_group.this.id
}

# --- The workspace: premium (Unity Catalog needs it), no public IPs on clusters.

resource "azurerm_databricks_workspace" "this" {
  #checkov:skip=CKV_AZURE_158:Private Link needs private endpoints and DNS zones in a hub network the platform team owns; secure cluster connectivity (no_public_ip) is on.
  #checkov:skip=CKV2_AZURE_48:Customer-managed keys for DBFS need a Key Vault the platform team owns; infrastructure encryption is on.
  name                          = var.name
  resource_group_name           = azurerm_resource_group.this.name
  location                      = azurerm_resource_group.this.location
  sku                           = "premium"
  managed_resource_group_name   = "${var.name}-managed-rg"
  public_network_access_enabled = true
  infrastructure_encryption_enabled = true

  custom_parameters {
    no_public_ip                                         = true
    virtual_network_id                                   = azurerm_virtual_network.this.id
    public_subnet_name                                   = azurerm_subnet.this["public"].name
    private_subnet_name                                  = azurerm_subnet.this["private"].name
    public_subnet_network_security_group_association_id  = azurerm_subnet_network_security_group_association.this["public"].id
    private_subnet_network_security_group_association_id = azurerm_subnet_network_security_group_association.this["private"].id
  }

  tags = var.tags
}

# --- Storage for Unity Catalog: ADLS Gen2 reached through an access connector's managed identity.

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_33:Queue service logging does not apply: the account serves ADLS Gen2 (blob) only.
  #checkov:skip=CKV_AZURE_206:Replication across zones (ZRS) is chosen; geo-replication is a disaster-recovery decision per team.
  #checkov:skip=CKV_AZURE_59:Databricks serverless compute reaches the account over its public endpoint; access needs the connector's identity.
  #checkov:skip=CKV2_AZURE_33:A private endpoint needs a private DNS zone the platform team owns; add it there.
  #checkov:skip=CKV2_AZURE_1:Encryption with Microsoft-managed keys; customer-managed keys need a Key Vault the platform team owns.
  name                            = substr(replace("${var.name}uc", "-", ""), 0, 24)
  resource_group_name             = azurerm_resource_group.this.name
  location                        = azurerm_resource_group.this.location
  account_tier                    = "Standard"
  account_replication_type        = "ZRS"
  account_kind                    = "StorageV2"
  is_hns_enabled                  = true
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false
  local_user_enabled              = false

  blob_properties {
    delete_retention_policy {
      days = 7
    }
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }

  tags = var.tags
}

resource "azurerm_storage_container" "this" {
  #checkov:skip=CKV2_AZURE_21:Blob logging goes to the workspace's diagnostic settings, which the platform team configures.
  name                  = "unity-catalog"
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_databricks_access_connector" "this" {
  name                = "${var.name}-connector"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  identity {
    type = "SystemAssigned"
  }
  tags = var.tags
}

resource "azurerm_role_assignment" "connector" {
  scope                = azurerm_storage_account.this.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_databricks_access_connector.this.identity[0].principal_id
}
