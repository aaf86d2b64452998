CREATE OR REPLACE TABLE `main`.`sales`.`order-lines` (
  `select` BIGINT NOT NULL COMMENT 'it\'s the key',
  `order` DECIMAL(18,2),
  `items` ARRAY<STRUCT<`sku`: STRING NOT NULL COMMENT 'a \'stock\' unit', `Quantity`: INT>>,
  `attrs` MAP<STRING, VARCHAR(32)>,
  `date` DATE
) USING DELTA
CLUSTER BY (`date`, `select`)
COMMENT 'Orders: the customer\'s "final" state\nback\\slash'
LOCATION 's3://bucket/it\'s/here'
TBLPROPERTIES ('delta.appendOnly' = 'true', 'owner\'s note' = 'it\'s "fine"');

ALTER TABLE `main`.`sales`.`order-lines` ADD CONSTRAINT `known` CHECK (`select` IS NOT NULL);

ALTER TABLE `main`.`sales`.`order-lines` ADD CONSTRAINT `positive` CHECK (`order` >= 0);

DROP TABLE IF EXISTS `main`.`sales`.`order-lines`;
