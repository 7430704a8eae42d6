-- q4: AVG over BIGINT is a truncating BIGINT in Sluice and Flink, hence SUM // COUNT.
SELECT Q.category, SUM(Q.final) // COUNT(Q.final) AS final
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
