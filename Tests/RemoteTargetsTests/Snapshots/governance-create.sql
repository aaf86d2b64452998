CREATE OR REPLACE FUNCTION `main`.`sales`.`redact`(`value` STRING, `region` VARCHAR(8))
RETURNS STRING
COMMENT 'HR\'s view'
RETURN CASE WHEN is_account_group_member('hr') THEN value ELSE '***' END;

CREATE TABLE IF NOT EXISTS `main`.`sales`.`order-lines` (
  `select` BIGINT NOT NULL MASK `main`.`sales`.`redact` USING COLUMNS (`date`) COMMENT 'it\'s the key',
  `order` DECIMAL(18,2),
  `items` ARRAY<STRUCT<`sku`: STRING NOT NULL COMMENT 'a \'stock\' unit', `Quantity`: INT>>,
  `attrs` MAP<STRING, VARCHAR(32)>,
  `date` DATE
) USING DELTA
WITH ROW FILTER `main`.`sales`.`in_region` ON (`date`, `select`)
PARTITIONED BY (`date`)
COMMENT 'Orders: the customer\'s "final" state\nback\\slash'
LOCATION 's3://bucket/it\'s/here'
TBLPROPERTIES ('delta.appendOnly' = 'true', 'owner\'s note' = 'it\'s "fine"');

ALTER TABLE `main`.`sales`.`order-lines` ADD CONSTRAINT `known` CHECK (`select` IS NOT NULL);

ALTER TABLE `main`.`sales`.`order-lines` ADD CONSTRAINT `positive` CHECK (`order` >= 0);

ALTER TABLE `main`.`sales`.`order-lines` SET TAGS ('classification' = 'confidential');

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `order` SET TAGS ('it\'s' = 'quoted', 'pii' = 'true');

DROP FUNCTION IF EXISTS `main`.`sales`.`redact`;
