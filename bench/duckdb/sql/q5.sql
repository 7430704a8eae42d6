-- q5: HOP(2 s, 10 s) as arithmetic on epoch milliseconds: a bid lies in the 5 windows starting
-- at (ts - ts % 2000) - k * 2000, k = 0..4.
SELECT AuctionBids.auction, AuctionBids.num
FROM (SELECT auction, count(*) AS num, ws AS starttime, ws + 10000 AS endtime
      FROM (SELECT auction, (dateTime - dateTime % 2000) - k * 2000 AS ws
            FROM bid CROSS JOIN range(0, 5) AS r(k))
      GROUP BY auction, ws) AS AuctionBids
JOIN (SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
      FROM (SELECT count(*) AS num, ws AS starttime, ws + 10000 AS endtime
            FROM (SELECT auction, (dateTime - dateTime % 2000) - k * 2000 AS ws
                  FROM bid CROSS JOIN range(0, 5) AS r(k))
            GROUP BY auction, ws) AS CountBids
      GROUP BY CountBids.starttime, CountBids.endtime) AS MaxBids
ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime
   AND AuctionBids.num >= MaxBids.maxn;
