// Sluice's language: Flink SQL plus GoogleSQL pipe syntax (`FROM t |> WHERE ... |> AGGREGATE ...`).
// The C++ driver (compiler/parser/parser.cpp) splits a script at ';' and parses each statement
// with `singleStatement`, so one broken statement never hides the errors of the next.
// Keywords are case-insensitive; most are also usable as identifiers (see `nonReserved`).
grammar Sluice;

singleStatement
    : statement SEMI? EOF
    ;

statement
    : query                                                              #queryStatement
    | INSERT (INTO | OVERWRITE) qualifiedName HINT? columnList? query    #insertStatement
    | CREATE TEMPORARY? TABLE (IF NOT EXISTS)? qualifiedName
        (LPAREN tableElement (COMMA tableElement)* COMMA? RPAREN)?
        (COMMENT STRING)?
        (PARTITIONED BY columnList)?
        (WITH properties)?
        likeClause?
        (AS query)?                                                      #createTableStatement
    | CREATE TEMPORARY? VIEW (IF NOT EXISTS)? qualifiedName columnList? AS query
                                                                         #createViewStatement
    | CREATE TEMPORARY? SYSTEM? FUNCTION (IF NOT EXISTS)? qualifiedName AS STRING
        (LANGUAGE identifier)?                                           #createFunctionStatement
    | DROP TEMPORARY? SYSTEM? dropKind=(TABLE | VIEW | FUNCTION) (IF EXISTS)? qualifiedName
                                                                         #dropStatement
    | CREATE createKind=(CATALOG | DATABASE) (IF NOT EXISTS)? qualifiedName
        (COMMENT STRING)? (WITH properties)?                             #createCatalogStatement
    | USE CATALOG? qualifiedName                                         #useStatement
    | SET (STRING EQ STRING)?                                            #setStatement
    | RESET STRING?                                                      #resetStatement
    | EXPLAIN UPGRADE FROM STRING                                        #explainUpgradeStatement
    | EXPLAIN (PLAN FOR)? statement                                      #explainStatement
    | SHOW (TABLES | FUNCTIONS | VIEWS | JOBS)                           #showStatement
    | (DESCRIBE | DESC) qualifiedName                                    #describeStatement
    | STOP JOB STRING (WITH SAVEPOINT)? (WITH DRAIN)?                    #stopJobStatement
    | BEGIN STATEMENT SET                                                #beginStatementSet
    | END                                                                #endStatementSet
    ;

tableElement
    : identifier AS expression (COMMENT STRING)?                         #computedColumn
    | WATERMARK FOR identifier AS expression                             #watermarkDefinition
    | (CONSTRAINT identifier)? PRIMARY KEY columnList NOT ENFORCED       #primaryKeyConstraint
    | identifier dataType METADATA (FROM key=STRING)? VIRTUAL? (COMMENT comment=STRING)?
                                                                         #metadataColumn
    | identifier dataType (PRIMARY KEY NOT ENFORCED)? (COMMENT STRING)?  #columnDefinition
    ;

// CREATE TABLE ... LIKE source [(options)]: Flink's merging strategies per feature.
likeClause
    : LIKE qualifiedName (LPAREN (likeOption (COMMA? likeOption)*)? RPAREN)?
    ;

likeOption
    : strategy=(INCLUDING | EXCLUDING) feature=(ALL | CONSTRAINTS | PARTITIONS)
    | strategy=(INCLUDING | EXCLUDING | OVERWRITING)
        feature=(GENERATED | OPTIONS | WATERMARKS | METADATA)
    ;

properties
    : LPAREN (property (COMMA property)* COMMA?)? RPAREN
    ;

property
    : key=STRING EQ value=STRING
    ;

columnList
    : LPAREN identifier (COMMA identifier)* RPAREN
    ;

// ---- types ----------------------------------------------------------------------------------

// `INT NULL` says what every type already is (nullable); `INT NOT NULL` is recorded.
dataType
    : baseDataType (NOT? NULL_)?
    ;

baseDataType
    : ROW LT (rowField (COMMA rowField)*)? GT                           #rowAngleType
    | ROW LPAREN (rowField (COMMA rowField)*)? RPAREN                   #rowParenType
    | INTERVAL intervalQualifier?                                       #intervalType
    | identifier PRECISION? LT dataType (COMMA dataType)* GT            #genericType
    | identifier PRECISION?
        (LPAREN INTEGER_VALUE (COMMA INTEGER_VALUE)* RPAREN)?
        timeZoneSuffix?                                                 #namedType
    ;

// `TIMESTAMP(3) WITH LOCAL TIME ZONE` is TIMESTAMP_LTZ(3); `WITHOUT TIME ZONE` changes nothing.
// Each is one token, so that a stray WITH after a type keeps its own error message.
timeZoneSuffix
    : WITH_LOCAL_TIME_ZONE
    | WITHOUT_TIME_ZONE
    ;

rowField
    : identifier dataType (COMMENT STRING)?
    ;

// ---- queries --------------------------------------------------------------------------------

query
    : withClause? queryTerm orderByClause? limitClause? pipeOperator*
    ;

withClause
    : WITH commonTableExpression (COMMA commonTableExpression)*
    ;

commonTableExpression
    : identifier columnList? AS LPAREN query RPAREN
    ;

// INTERSECT binds tighter than UNION and EXCEPT (SQL), which associate to the left.
queryTerm
    : queryPrimary                                                       #primaryTerm
    | left=queryTerm op=INTERSECT setQuantifier? right=queryTerm         #setOperationTerm
    | left=queryTerm op=(UNION | EXCEPT) setQuantifier? right=queryTerm  #setOperationTerm
    ;

queryPrimary
    : selectClause                                                       #selectPrimary
    | FROM fromClause                                                    #fromPrimary
    | VALUES rowValue (COMMA rowValue)*                                  #valuesPrimary
    | LPAREN query RPAREN                                                #nestedQueryPrimary
    ;

selectClause
    : SELECT HINT? setQuantifier? selectItem (COMMA selectItem)* COMMA?
        (FROM fromClause)?
        (WHERE where=expression)?
        (GROUP BY groupItems)?
        (HAVING having=expression)?
        (WINDOW namedWindow (COMMA namedWindow)*)?
    ;

namedWindow
    : identifier AS LPAREN windowSpecification RPAREN
    ;

rowValue
    : LPAREN expression (COMMA expression)* RPAREN
    ;

setQuantifier
    : DISTINCT
    | ALL
    ;

selectItem
    : STAR                                                               #starItem
    | qualifiedName DOT STAR                                             #qualifiedStarItem
    | expression (AS? identifier)?                                       #expressionItem
    ;

groupItems
    : groupItem (COMMA groupItem)*
    ;

// GROUPING SETS, ROLLUP and CUBE come first: `rollup(a, b)` is one, not a function call.
groupItem
    : GROUPING SETS LPAREN groupingSet (COMMA groupingSet)* RPAREN       #groupingSetsItem
    | kind=(ROLLUP | CUBE) LPAREN groupingElement (COMMA groupingElement)* RPAREN #rollupCubeItem
    | LPAREN RPAREN                                                      #emptyGroupItem
    | expression                                                         #expressionGroupItem
    ;

// One set of a GROUPING SETS list: `()`, `(a, b)`, `a`, or a nested ROLLUP / CUBE / GROUPING SETS.
groupingSet
    : LPAREN expression (COMMA expression)+ RPAREN                       #listGroupingSet
    | groupItem                                                          #nestedGroupingSet
    ;

// One element of ROLLUP / CUBE: a column (or expression), or a parenthesized composite.
groupingElement
    : LPAREN expression (COMMA expression)+ RPAREN                       #compositeGroupingElement
    | expression                                                         #singleGroupingElement
    ;

orderByClause
    : ORDER BY orderItem (COMMA orderItem)*
    ;

orderItem
    : expression ordering=(ASC | DESC)? (NULLS nulls=(FIRST | LAST))?
    ;

// LIMIT n [OFFSET m], and the standard's OFFSET m ROWS FETCH FIRST n ROWS ONLY (Calcite's);
// FETCH without a count fetches one row.
limitClause
    : LIMIT limit=expression (OFFSET offset=expression (ROW | ROWS)?)?
    | OFFSET offset=expression (ROW | ROWS)? fetchClause?
    | fetchClause
    ;

fetchClause
    : FETCH (FIRST | NEXT) fetchCount=expression? (ROW | ROWS) ONLY
    ;

fromClause
    : relation (COMMA relation)*
    ;

relation
    : relationPrimary                                                    #primaryRelation
    | left=relation CROSS JOIN right=relationPrimary                     #crossJoinRelation
    | left=relation joinType JOIN right=relationPrimary joinCriteria?    #joinRelation
    ;

joinType
    : INNER?
    | LEFT OUTER?
    | RIGHT OUTER?
    | FULL OUTER?
    ;

joinCriteria
    : ON expression
    | USING columnList
    ;

relationPrimary
    : UNNEST LPAREN expression RPAREN (WITH ORDINALITY)? tableAlias?          #unnestRelation
    | qualifiedName HINT? (FOR SYSTEM_TIME AS OF valueExpression)? matchRecognize? tableAlias?
                                                                               #tableRelation
    | LATERAL? LPAREN query RPAREN matchRecognize? tableAlias?                 #subqueryRelation
    | LATERAL? TABLE LPAREN functionCall RPAREN tableAlias?                    #tableFunctionRelation
    | LPAREN relation RPAREN                                                   #parenthesizedRelation
    ;

tableAlias
    : AS? identifier columnList?
    ;

// Row pattern recognition (Flink's MATCH_RECOGNIZE): the binder refuses what Flink does not run.
matchRecognize
    : MATCH_RECOGNIZE LPAREN
        (PARTITION BY expression (COMMA expression)*)?
        (ORDER BY orderItem (COMMA orderItem)*)?
        (MEASURES measureItem (COMMA measureItem)*)?
        rowsPerMatch?
        (AFTER MATCH skipTo)?
        PATTERN LPAREN patternAlternation RPAREN
        (WITHIN within=literal)?
        DEFINE defineItem (COMMA defineItem)*
      RPAREN
    ;

measureItem
    : expression AS identifier
    ;

rowsPerMatch
    : ONE ROW PER MATCH
    | ALL ROWS PER MATCH
    ;

skipTo
    : SKIP_ PAST LAST ROW                                                #skipPastLastRow
    | SKIP_ TO NEXT ROW                                                  #skipToNextRow
    | SKIP_ TO position=(FIRST | LAST) identifier                        #skipToVariable
    | SKIP_ TO identifier                                                #skipToVariable
    ;

defineItem
    : identifier AS expression
    ;

patternAlternation
    : patternConcatenation (BAR patternConcatenation)*
    ;

patternConcatenation
    : patternQuantified+
    ;

patternQuantified
    : patternPrimary patternQuantifier?
    ;

patternPrimary
    : identifier                                                         #patternVariable
    | LPAREN patternAlternation RPAREN                                   #patternGroup
    ;

patternQuantifier
    : kind=(STAR | PLUS | QUESTION) reluctant=QUESTION?
    | LBRACE exact=INTEGER_VALUE RBRACE reluctant=QUESTION?
    | LBRACE lower=INTEGER_VALUE? COMMA upper=INTEGER_VALUE? RBRACE reluctant=QUESTION?
    ;

// ---- pipe operators -------------------------------------------------------------------------

pipeOperator
    : PIPE pipeOperation
    ;

pipeOperation
    : WHERE HINT? expression                                             #pipeWhere
    | SELECT HINT? setQuantifier? selectItem (COMMA selectItem)* COMMA?  #pipeSelect
    | EXTEND HINT? selectItem (COMMA selectItem)* COMMA?                 #pipeExtend
    | SET HINT? pipeAssignment (COMMA pipeAssignment)* COMMA?            #pipeSet
    | DROP HINT? identifier (COMMA identifier)* COMMA?                   #pipeDrop
    | RENAME HINT? pipeRenaming (COMMA pipeRenaming)* COMMA?             #pipeRename
    | AS identifier                                                      #pipeAs
    | AGGREGATE HINT? (selectItem (COMMA selectItem)* COMMA?)?
        (GROUP BY selectItem (COMMA selectItem)* COMMA?)?                #pipeAggregate
    | joinType JOIN HINT? relationPrimary joinCriteria?                  #pipeJoin
    | CROSS JOIN HINT? relationPrimary                                   #pipeCrossJoin
    | CALL HINT? functionCall tableAlias?                                #pipeCall
    | UNION setQuantifier? HINT? LPAREN query RPAREN (COMMA LPAREN query RPAREN)*   #pipeUnion
    | ORDER BY HINT? orderItem (COMMA orderItem)* limitClause?           #pipeOrderBy
    | LIMIT HINT? limit=expression (OFFSET offset=expression)?           #pipeLimit
    ;

pipeAssignment
    : identifier EQ expression
    ;

pipeRenaming
    : identifier AS? identifier
    ;

// ---- expressions ----------------------------------------------------------------------------

expression
    : booleanExpression
    ;

booleanExpression
    : NOT booleanExpression                                              #logicalNot
    | EXISTS LPAREN query RPAREN                                         #exists
    | valueExpression predicate?                                         #predicated
    | left=booleanExpression AND right=booleanExpression                 #logicalAnd
    | left=booleanExpression OR right=booleanExpression                  #logicalOr
    ;

predicate
    : NOT? BETWEEN symmetry=(SYMMETRIC | ASYMMETRIC)?
        lower=valueExpression AND upper=valueExpression                  #betweenPredicate
    | NOT? IN LPAREN query RPAREN                                        #inSubqueryPredicate
    | NOT? IN LPAREN expression (COMMA expression)* RPAREN               #inListPredicate
    | NOT? LIKE pattern=valueExpression (ESCAPE escape=valueExpression)? #likePredicate
    | NOT? SIMILAR TO pattern=valueExpression (ESCAPE escape=valueExpression)?
                                                                         #similarPredicate
    | IS NOT? (NULL_ | TRUE | FALSE | UNKNOWN)                            #isPredicate
    | IS NOT? JSON jsonKind=(VALUE | SCALAR | ARRAY | OBJECT)?            #isJsonPredicate
    | IS NOT? DISTINCT FROM other=valueExpression                        #distinctFromPredicate
    ;

valueExpression
    : primaryExpression                                                  #primaryValue
    | op=(MINUS | PLUS) valueExpression                           #unaryValue
    | left=valueExpression op=(STAR | SLASH | PERCENT) right=valueExpression #multiplicativeValue
    | left=valueExpression op=(PLUS | MINUS) right=valueExpression #additiveValue
    | left=valueExpression CONCAT right=valueExpression                  #concatValue
    | left=valueExpression comparisonOperator right=valueExpression      #comparisonValue
    ;

comparisonOperator
    : EQ | NEQ | LT | LTE | GT | GTE
    ;

primaryExpression
    : literal                                                            #literalExpression
    | CASE operand=expression? whenClause+ (ELSE elseValue=expression)? END #caseExpression
    | (CAST | TRY_CAST) LPAREN expression AS dataType RPAREN             #castExpression
    | EXTRACT LPAREN extractUnit FROM expression RPAREN                  #extractExpression
    | SUBSTRING LPAREN expression
        (FROM expression (FOR expression)? | COMMA expression (COMMA expression)?) RPAREN
                                                                         #substringExpression
    | TRIM LPAREN (trimMode=(BOTH | LEADING | TRAILING)? trimChars=valueExpression? FROM)?
        expression RPAREN                                                #trimExpression
    | POSITION LPAREN needle=valueExpression IN haystack=expression RPAREN #positionExpression
    | OVERLAY LPAREN target=expression PLACING replacement=expression
        FROM start=expression (FOR length=expression)? RPAREN            #overlayExpression
    | roundingName=identifier LPAREN expression TO timeUnit RPAREN       #floorCeilExpression
    | ROW LPAREN expression (COMMA expression)* RPAREN                   #rowConstructor
    | ARRAY LBRACKET (expression (COMMA expression)*)? RBRACKET          #arrayConstructor
    | MAP LBRACKET (expression (COMMA expression)*)? RBRACKET            #mapConstructor
    | JSON_OBJECT LPAREN (jsonObjectEntry (COMMA jsonObjectEntry)*)? jsonNullClause? RPAREN
                                                                         #jsonObjectConstructor
    | JSON_ARRAY LPAREN (expression (COMMA expression)*)? jsonNullClause? RPAREN
                                                                         #jsonArrayConstructor
    | JSON_OBJECTAGG LPAREN jsonObjectEntry jsonNullClause? RPAREN filterClause?
                                                                         #jsonObjectAggregate
    | JSON_ARRAYAGG LPAREN expression jsonNullClause? RPAREN filterClause?
                                                                         #jsonArrayAggregate
    | LPAREN query RPAREN                                                #subqueryExpression
    | LPAREN expression (COMMA expression)* RPAREN                       #parenthesizedExpression
    | functionCall                                                       #functionCallExpression
    | identifier                                                         #columnReference
    | base=primaryExpression DOT fieldName=identifier                    #dereference
    | base=primaryExpression LBRACKET index=valueExpression RBRACKET     #subscript
    ;

// JSON_OBJECT([KEY] 'k' VALUE v, ... [NULL | ABSENT ON NULL])
jsonObjectEntry
    : KEY? key=valueExpression VALUE value=expression
    ;

jsonNullClause
    : (NULL_ | ABSENT) ON NULL_
    ;

// JSON_VALUE(s, path [RETURNING type] [(NULL | ERROR | DEFAULT x) ON EMPTY] [... ON ERROR]);
// JSON_QUERY(s, path [wrapper] [(NULL | ERROR | EMPTY ARRAY | EMPTY OBJECT) ON EMPTY] [...])
// JSON_EXISTS(s, path [{TRUE | FALSE | UNKNOWN | ERROR} ON ERROR])
jsonBehavior
    : (NULL_ | ERROR | TRUE | FALSE | UNKNOWN | DEFAULT expression
        | EMPTY emptyValue=(ARRAY | OBJECT))
      ON target=(EMPTY | ERROR)
    ;

// JSON_QUERY(... {WITHOUT | WITH [CONDITIONAL | UNCONDITIONAL]} [ARRAY] WRAPPER)
jsonWrapper
    : (WITHOUT | WITH wrapperKind=(CONDITIONAL | UNCONDITIONAL)?) ARRAY? WRAPPER
    ;

whenClause
    : WHEN condition=expression (COMMA values+=expression)* THEN result=expression
    ;

functionCall
    : functionName LPAREN
        (STAR | setQuantifier? functionArgument (COMMA functionArgument)*)?
        (RETURNING returning=dataType)? jsonWrapper? jsonBehavior*
      RPAREN filterClause? overClause?
    ;

functionName
    : qualifiedName
    | LEFT
    | RIGHT
    ;

functionArgument
    : (identifier ARROW)? argumentValue
    ;

argumentValue
    : TABLE qualifiedName (PARTITION BY expression (COMMA expression)*)? orderByClause?  #tableArgument
    | DESCRIPTOR LPAREN identifier (COMMA identifier)* RPAREN            #descriptorArgument
    | expression                                                         #expressionArgument
    ;

filterClause
    : FILTER LPAREN WHERE expression RPAREN
    ;

overClause
    : OVER LPAREN windowSpecification RPAREN
    | OVER identifier
    ;

windowSpecification
    : (PARTITION BY expression (COMMA expression)*)? orderByClause? windowFrame?
    ;

windowFrame
    : frameUnit=(ROWS | RANGE) BETWEEN start=frameBound AND end=frameBound
    | frameUnit=(ROWS | RANGE) start=frameBound
    ;

frameBound
    : UNBOUNDED boundKind=(PRECEDING | FOLLOWING)
    | CURRENT ROW
    | valueExpression boundKind=(PRECEDING | FOLLOWING)
    ;

literal
    : INTEGER_VALUE                                                      #integerLiteral
    | DECIMAL_VALUE                                                      #decimalLiteral
    | DOUBLE_VALUE                                                       #approximateLiteral
    | STRING                                                             #stringLiteral
    | BINARY_STRING                                                      #binaryLiteral
    | (TRUE | FALSE)                                                     #booleanLiteral
    | NULL_                                                               #nullLiteral
    | (TIMESTAMP | DATE | TIME | TIMESTAMP_LTZ) STRING                   #typedLiteral
    | INTERVAL sign=(MINUS | PLUS)? (STRING | INTEGER_VALUE) intervalQualifier  #intervalLiteral
    ;

intervalQualifier
    : from=timeUnit (LPAREN fromPrecision=INTEGER_VALUE RPAREN)?
        (TO to=timeUnit (LPAREN toPrecision=INTEGER_VALUE RPAREN)?)?
    ;

timeUnit
    : YEAR | QUARTER | MONTH | WEEK | DAY | HOUR | MINUTE | SECOND | MILLISECOND
    | YEARS | MONTHS | DAYS | HOURS | MINUTES | SECONDS
    ;

// EXTRACT also takes Calcite's derived fields.
extractUnit
    : timeUnit
    | DOW | DOY | ISODOW | ISOYEAR | DECADE | CENTURY | MILLENNIUM | EPOCH | MICROSECOND
    | NANOSECOND
    ;

qualifiedName
    : identifier (DOT identifier)*
    ;

identifier
    : IDENTIFIER
    | QUOTED_IDENTIFIER
    | nonReserved
    ;

// Keywords that are also plain identifiers wherever the grammar allows a name.
nonReserved
    : ABSENT | AFTER | AGGREGATE | ARRAY | ASYMMETRIC | CATALOG | CONDITIONAL | DATABASE | MAP | ORDINALITY | ASC | BEGIN | BOTH | CALL | COMMENT | CONSTRAINT | CONSTRAINTS
    | CENTURY | CUBE | CURRENT | DATE | DAY | DAYS | DECADE | DEFAULT | DEFINE | DESC | DESCRIBE
    | DESCRIPTOR | DOW | DOY | DRAIN | DROP
    | EMPTY | ENFORCED | EPOCH | ERROR | EXCLUDING | EXPLAIN | EXTEND | FIRST | FOLLOWING | FUNCTION
    | FUNCTIONS | GENERATED | GROUPING | HOUR | HOURS | IF | INCLUDING | ISODOW | ISOYEAR | JOB | JOBS
    | JSON | JSON_ARRAYAGG | JSON_OBJECTAGG | KEY
    | FETCH | LANGUAGE | LAST | LEADING | MATCH | MEASURES | METADATA | MICROSECOND | MILLENNIUM | MILLISECOND
    | MINUTE | MINUTES | MONTH | MONTHS
    | NANOSECOND | NEXT | NULLS | OBJECT | OF | OFFSET | ONE | ONLY | OPTIONS | OVERLAY | OVERWRITE | OVERWRITING | PARTITION
    | PARTITIONED | PARTITIONS | PAST | PATTERN | PER | PLACING | PLAN | POSITION | PRECEDING | PRECISION | PRIMARY
    | QUARTER | RANGE | RENAME | RESET | RETURNING | ROLLUP | ROWS | SAVEPOINT | SCALAR | SECOND
    | SECONDS | SETS | SHOW | SIMILAR | SKIP_ | STATEMENT | STOP | SYSTEM | SYSTEM_TIME | TABLES
    | SYMMETRIC | TEMPORARY | TIME | TIMESTAMP | TIMESTAMP_LTZ | TRAILING | UNBOUNDED
    | UNCONDITIONAL | UNKNOWN | UPGRADE | USE
    | VALUE | VIEW | VIEWS | VIRTUAL | WATERMARK | WATERMARKS | WEEK | WINDOW | WITHIN | WITHOUT
    | WRAPPER | YEAR
    | YEARS
    ;

// ---- lexer ----------------------------------------------------------------------------------

ABSENT: A B S E N T;
AFTER: A F T E R;
AGGREGATE: A G G R E G A T E;
ALL: A L L;
AND: A N D;
ARRAY: A R R A Y;
ASYMMETRIC: A S Y M M E T R I C;
MAP: M A P;
AS: A S;
ASC: A S C;
BEGIN: B E G I N;
BETWEEN: B E T W E E N;
BOTH: B O T H;
BY: B Y;
CALL: C A L L;
CASE: C A S E;
CAST: C A S T;
COMMENT: C O M M E N T;
CONSTRAINT: C O N S T R A I N T;
CONSTRAINTS: C O N S T R A I N T S;
CREATE: C R E A T E;
CROSS: C R O S S;
CUBE: C U B E;
CURRENT: C U R R E N T;
DATE: D A T E;
DAY: D A Y;
DAYS: D A Y S;
DECADE: D E C A D E;
DOW: D O W;
DOY: D O Y;
CENTURY: C E N T U R Y;
EPOCH: E P O C H;
ISODOW: I S O D O W;
ISOYEAR: I S O Y E A R;
MICROSECOND: M I C R O S E C O N D;
MILLENNIUM: M I L L E N N I U M;
NANOSECOND: N A N O S E C O N D;
DEFAULT: D E F A U L T;
DEFINE: D E F I N E;
DESC: D E S C;
DESCRIBE: D E S C R I B E;
DESCRIPTOR: D E S C R I P T O R;
DISTINCT: D I S T I N C T;
DRAIN: D R A I N;
DROP: D R O P;
CATALOG: C A T A L O G;
DATABASE: D A T A B A S E;
USE: U S E;
ELSE: E L S E;
EMPTY: E M P T Y;
CONDITIONAL: C O N D I T I O N A L;
END: E N D;
ENFORCED: E N F O R C E D;
ERROR: E R R O R;
ESCAPE: E S C A P E;
EXCEPT: E X C E P T;
EXCLUDING: E X C L U D I N G;
EXISTS: E X I S T S;
EXPLAIN: E X P L A I N;
EXTEND: E X T E N D;
EXTRACT: E X T R A C T;
FALSE: F A L S E;
FETCH: F E T C H;
FILTER: F I L T E R;
FIRST: F I R S T;
FOLLOWING: F O L L O W I N G;
FOR: F O R;
FROM: F R O M;
FULL: F U L L;
FUNCTION: F U N C T I O N;
FUNCTIONS: F U N C T I O N S;
GENERATED: G E N E R A T E D;
GROUP: G R O U P;
GROUPING: G R O U P I N G;
HAVING: H A V I N G;
HOUR: H O U R;
HOURS: H O U R S;
IF: I F;
IN: I N;
INCLUDING: I N C L U D I N G;
INNER: I N N E R;
INSERT: I N S E R T;
INTERSECT: I N T E R S E C T;
INTERVAL: I N T E R V A L;
INTO: I N T O;
IS: I S;
JOB: J O B;
JOBS: J O B S;
JOIN: J O I N;
JSON: J S O N;
JSON_ARRAY: J S O N '_' A R R A Y;
JSON_OBJECT: J S O N '_' O B J E C T;
JSON_ARRAYAGG: J S O N '_' A R R A Y A G G;
JSON_OBJECTAGG: J S O N '_' O B J E C T A G G;
KEY: K E Y;
LANGUAGE: L A N G U A G E;
LAST: L A S T;
LATERAL: L A T E R A L;
LEADING: L E A D I N G;
LEFT: L E F T;
LIKE: L I K E;
LIMIT: L I M I T;
MATCH: M A T C H;
MATCH_RECOGNIZE: M A T C H '_' R E C O G N I Z E;
MEASURES: M E A S U R E S;
METADATA: M E T A D A T A;
MILLISECOND: M I L L I S E C O N D;
MINUTE: M I N U T E;
MINUTES: M I N U T E S;
MONTH: M O N T H;
MONTHS: M O N T H S;
NEXT: N E X T;
NOT: N O T;
NULL_: N U L L;
NULLS: N U L L S;
OBJECT: O B J E C T;
OF: O F;
OFFSET: O F F S E T;
ON: O N;
ONE: O N E;
ONLY: O N L Y;
OPTIONS: O P T I O N S;
OR: O R;
ORDER: O R D E R;
OUTER: O U T E R;
OVER: O V E R;
OVERLAY: O V E R L A Y;
OVERWRITE: O V E R W R I T E;
OVERWRITING: O V E R W R I T I N G;
PARTITION: P A R T I T I O N;
PARTITIONED: P A R T I T I O N E D;
PARTITIONS: P A R T I T I O N S;
PAST: P A S T;
PATTERN: P A T T E R N;
PER: P E R;
PLACING: P L A C I N G;
PLAN: P L A N;
POSITION: P O S I T I O N;
PRECEDING: P R E C E D I N G;
PRECISION: P R E C I S I O N;
PRIMARY: P R I M A R Y;
QUARTER: Q U A R T E R;
RANGE: R A N G E;
RENAME: R E N A M E;
RESET: R E S E T;
RETURNING: R E T U R N I N G;
RIGHT: R I G H T;
ROLLUP: R O L L U P;
ROW: R O W;
ROWS: R O W S;
SAVEPOINT: S A V E P O I N T;
SCALAR: S C A L A R;
SECOND: S E C O N D;
SECONDS: S E C O N D S;
SELECT: S E L E C T;
SET: S E T;
SETS: S E T S;
SHOW: S H O W;
SIMILAR: S I M I L A R;
SKIP_: S K I P;
STATEMENT: S T A T E M E N T;
STOP: S T O P;
SUBSTRING: S U B S T R I N G;
SYSTEM: S Y S T E M;
SYSTEM_TIME: S Y S T E M '_' T I M E;
TABLE: T A B L E;
TABLES: T A B L E S;
TEMPORARY: T E M P O R A R Y;
THEN: T H E N;
TIME: T I M E;
TIMESTAMP: T I M E S T A M P;
TIMESTAMP_LTZ: T I M E S T A M P '_' L T Z;
TO: T O;
TRAILING: T R A I L I N G;
TRIM: T R I M;
TRUE: T R U E;
TRY_CAST: T R Y '_' C A S T;
UNBOUNDED: U N B O U N D E D;
UNION: U N I O N;
UNKNOWN: U N K N O W N;
UPGRADE: U P G R A D E;
USING: U S I N G;
VALUE: V A L U E;
VALUES: V A L U E S;
VIEW: V I E W;
VIEWS: V I E W S;
VIRTUAL: V I R T U A L;
WATERMARK: W A T E R M A R K;
WATERMARKS: W A T E R M A R K S;
WEEK: W E E K;
WHEN: W H E N;
WHERE: W H E R E;
WINDOW: W I N D O W;
WITH: W I T H;
WITHOUT: W I T H O U T;
WRAPPER: W R A P P E R;
SYMMETRIC: S Y M M E T R I C;
UNCONDITIONAL: U N C O N D I T I O N A L;
UNNEST: U N N E S T;
ORDINALITY: O R D I N A L I T Y;
WITHIN: W I T H I N;
YEAR: Y E A R;
YEARS: Y E A R S;
WITH_LOCAL_TIME_ZONE: W I T H [ \t\r\n]+ L O C A L [ \t\r\n]+ T I M E [ \t\r\n]+ Z O N E;
WITHOUT_TIME_ZONE: W I T H O U T [ \t\r\n]+ T I M E [ \t\r\n]+ Z O N E;

PIPE: '|>';
CONCAT: '||';
ARROW: '=>';
EQ: '=';
NEQ: '<>' | '!=';
LTE: '<=';
GTE: '>=';
LT: '<';
GT: '>';
PLUS: '+';
MINUS: '-';
STAR: '*';
SLASH: '/';
PERCENT: '%';
DOT: '.';
COMMA: ',';
SEMI: ';';
LPAREN: '(';
RPAREN: ')';
LBRACKET: '[';
RBRACKET: ']';
LBRACE: '{';
RBRACE: '}';
QUESTION: '?';
BAR: '|';

STRING: '\'' ( ~'\'' | '\'\'' )* '\'';
// X'0A0b': any text between the quotes, so that the AST builder names a bad digit or an odd
// count instead of the lexer splitting the literal.
BINARY_STRING: X '\'' ~'\''* '\'';
// Reaches the end of the text without a closing quote; the driver reports it.
UNTERMINATED_STRING: '\'' ( ~'\'' | '\'\'' )* EOF;

INTEGER_VALUE: DIGIT+;
DECIMAL_VALUE: DIGIT+ '.' DIGIT* | '.' DIGIT+;
DOUBLE_VALUE: (DIGIT+ ('.' DIGIT*)? | '.' DIGIT+) EXPONENT;

IDENTIFIER: (LETTER | '_') (LETTER | DIGIT | '_' | '$')*;
QUOTED_IDENTIFIER: '`' ( ~'`' | '``' )* '`';
UNTERMINATED_QUOTED_IDENTIFIER: '`' ( ~'`' | '``' )* EOF;

// A hint is a token of its own so that it is never lost as a comment; it wins the tie with
// BLOCK_COMMENT because it is defined first.
HINT: '/*+' ( ~'*' | '*'+ ~[*/] )* '*'+ '/';
BLOCK_COMMENT: '/*' ( ~'*' | '*'+ ~[*/] )* '*'+ '/' -> channel(HIDDEN);
UNTERMINATED_COMMENT: '/*' ( ~'*' | '*'+ ~[*/] )* '*'* EOF;
LINE_COMMENT: '--' ~[\r\n]* -> channel(HIDDEN);
WHITESPACE: [ \t\r\n\f]+ -> channel(HIDDEN);

// Any other character becomes a token the parser rejects with a precise position.
UNEXPECTED_CHARACTER: .;

fragment EXPONENT: E [+-]? DIGIT+;
fragment DIGIT: [0-9];
fragment LETTER: [a-zA-Z] | [\u0080-\u{10FFFF}];
fragment A: [aA];
fragment B: [bB];
fragment C: [cC];
fragment D: [dD];
fragment E: [eE];
fragment F: [fF];
fragment G: [gG];
fragment H: [hH];
fragment I: [iI];
fragment J: [jJ];
fragment K: [kK];
fragment L: [lL];
fragment M: [mM];
fragment N: [nN];
fragment O: [oO];
fragment P: [pP];
fragment Q: [qQ];
fragment R: [rR];
fragment S: [sS];
fragment T: [tT];
fragment U: [uU];
fragment V: [vV];
fragment W: [wW];
fragment X: [xX];
fragment Y: [yY];
fragment Z: [zZ];
