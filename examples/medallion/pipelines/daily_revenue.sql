-- Revenue per day, recomputed each hour.
CREATE OR REFRESH MATERIALIZED VIEW daily_revenue
AS SELECT CAST(ordered_at AS DATE) AS day, COUNT(*) AS orders, SUM(amount) AS revenue
FROM silver.orders
WHERE status <> 'cancelled'
GROUP BY CAST(ordered_at AS DATE);
