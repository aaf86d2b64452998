-- Bronze → silver: one row per order line.
CREATE OR REFRESH STREAMING TABLE order_items AS
SELECT
  CAST(get_json_object(payload, '$.order_id') AS BIGINT) AS order_id,
  CAST(item.line_number AS INT)                          AS line_number,
  item.sku                                               AS sku,
  CAST(item.quantity AS INT)                             AS quantity,
  CAST(item.unit_price AS DECIMAL(18,2))                 AS unit_price,
  item.discounts                                         AS discounts
FROM STREAM(${source_catalog}.bronze.raw_orders)
LATERAL VIEW explode(from_json(get_json_object(payload, '$.items'),
  'array<struct<line_number:int,sku:string,quantity:int,unit_price:decimal(18,2),discounts:array<struct<code:string,amount:decimal(18,2)>>>>')) AS item;
