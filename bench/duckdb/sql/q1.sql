-- q1: 0.908 is DECIMAL(4, 3) in DuckDB, as in Flink and Sluice; the sink's DECIMAL(23, 3) is the cast.
SELECT auction, bidder, CAST(0.908 * price AS DECIMAL(23, 3)) AS price, dateTime, extra
FROM bid;
