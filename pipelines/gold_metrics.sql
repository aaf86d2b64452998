-- Silver → gold: revenue per day and currency, and lifetime value per customer.
CREATE OR REFRESH MATERIALIZED VIEW daily_revenue AS
SELECT order_date AS day, currency, COUNT(*) AS orders, SUM(amount) AS revenue
FROM ${source_catalog}.silver.orders
WHERE status <> 'cancelled'
GROUP BY order_date, currency;

CREATE OR REFRESH MATERIALIZED VIEW customer_lifetime_value AS
SELECT o.customer_id,
       MIN(o.order_date)                       AS first_order_date,
       COUNT(DISTINCT o.order_id)              AS orders,
       SUM(i.quantity * i.unit_price)          AS lifetime_value,
       slice(array_sort(collect_set(i.sku)), 1, 10) AS top_skus
FROM ${source_catalog}.silver.orders o
JOIN ${source_catalog}.silver.order_items i USING (order_id)
JOIN ${source_catalog}.silver.customers c USING (customer_id)
GROUP BY o.customer_id;
