ALTER TABLE `main`.`sales`.`order-lines` CLUSTER BY (`order`, `select`);

ALTER TABLE `main`.`sales`.`order-lines` CLUSTER BY NONE;
