-- q9 rewritten: the winning bid of each auction as arg_max of the bid's rowid by
-- (price, -dateTime), then the wide columns joined back. Same result as the ROW_NUMBER text
-- (q9_rownumber.sql); ties broken arbitrarily, as ROW_NUMBER does. DuckDB's WINDOW operator
-- sorts the wide joined rows and is about 8x slower on the literal text.
SELECT A.id, A.itemName, A.description, A.initialBid, A.reserve, A.dateTime, A.expires, A.seller,
       A.category, A.extra, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime,
       B.extra AS bid_extra
FROM (SELECT A.id, arg_max(B.rowid, (B.price, -B.dateTime)) AS brow
      FROM auction A JOIN bid B ON A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
      GROUP BY A.id) W
JOIN auction A ON A.id = W.id
JOIN bid B ON B.rowid = W.brow;
