-- q7: TUMBLE(10 s): window_end = ts - ts % 10000 + 10000 (epoch milliseconds).
SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
FROM bid B
JOIN (SELECT MAX(price) AS maxprice, (dateTime - dateTime % 10000) + 10000 AS dateTime
      FROM bid GROUP BY (dateTime - dateTime % 10000)) B1
ON B.price = B1.maxprice
WHERE B.dateTime BETWEEN B1.dateTime - 10000 AND B1.dateTime;
