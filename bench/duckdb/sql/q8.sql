-- q8: TUMBLE(10 s) as arithmetic on epoch milliseconds.
SELECT P.id, P.name, P.starttime
FROM (SELECT id, name, dateTime - dateTime % 10000 AS starttime,
             dateTime - dateTime % 10000 + 10000 AS endtime
      FROM person GROUP BY id, name, dateTime - dateTime % 10000) P
JOIN (SELECT seller, dateTime - dateTime % 10000 AS starttime,
             dateTime - dateTime % 10000 + 10000 AS endtime
      FROM auction GROUP BY seller, dateTime - dateTime % 10000) A
ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
