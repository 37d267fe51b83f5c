/**
 * Functions tenant SQL may call: pure computation over the rows it may read. Anything that
 * reads outside the query (files, URLs, dictionaries, other tables, settings, the server)
 * is absent, so it is refused. Aggregate combinators are accepted on allowed aggregates.
 */
const scalar = `
plus minus multiply divide intDiv intDivOrZero modulo moduloOrZero negate abs gcd lcm
equals notEquals less greater lessOrEquals greaterOrEquals and or not xor
in notIn globalIn globalNotIn like notLike ilike notILike match
if multiIf ifNull nullIf coalesce isNull isNotNull assumeNotNull toNullable isFinite isInfinite isNaN ifNotFinite
tuple tupleElement array arrayElement has hasAll hasAny indexOf length empty notEmpty
arrayJoin arrayMap arrayFilter arrayCount arrayExists arrayAll arraySum arrayAvg arrayMin arrayMax arraySort
arrayReverseSort arrayDistinct arrayUniq arraySlice arrayConcat arrayPushBack arrayPushFront arrayEnumerate
arrayCompact arrayZip arrayFirst arrayLast arrayReduce arrayStringConcat range lambda
lower upper lowerUTF8 upperUTF8 trim trimLeft trimRight trimBoth concat substring substringUTF8 position
positionCaseInsensitive startsWith endsWith replaceAll replaceOne replaceRegexpAll replaceRegexpOne
extract extractAll splitByChar splitByString splitByRegexp leftPad rightPad reverse repeat format
lengthUTF8 char_length toString toStringCutToZero toFixedString base64Encode base64Decode hex unhex
domain domainWithoutWWW topLevelDomain protocol path pathFull queryString fragment extractURLParameter
extractURLParameters cutQueryString cutWWW cutURLParameter URLHierarchy decodeURLComponent encodeURLComponent
JSONExtract JSONExtractString JSONExtractInt JSONExtractFloat JSONExtractBool JSONHas JSONLength visitParamExtractString
toInt8 toInt16 toInt32 toInt64 toUInt8 toUInt16 toUInt32 toUInt64 toFloat32 toFloat64 toDecimal32 toDecimal64
toDecimal128 toInt32OrZero toInt64OrZero toUInt64OrZero toFloat64OrZero toInt64OrNull toFloat64OrNull
toDate toDate32 toDateTime toDateTime64 toDateOrNull toDateTimeOrNull parseDateTimeBestEffort parseDateTimeBestEffortOrNull
toStartOfMinute toStartOfFiveMinutes toStartOfFifteenMinutes toStartOfHour toStartOfDay toStartOfWeek toMonday
toStartOfMonth toStartOfQuarter toStartOfYear toStartOfInterval toYear toQuarter toMonth toDayOfMonth toDayOfWeek
toDayOfYear toHour toMinute toSecond toISOWeek toYYYYMM toYYYYMMDD toUnixTimestamp fromUnixTimestamp
formatDateTime dateDiff dateAdd dateSub date_diff addDays addHours addMinutes addWeeks addMonths addYears
subtractDays subtractHours subtractMonths toIntervalSecond toIntervalMinute toIntervalHour toIntervalDay
toIntervalWeek toIntervalMonth toIntervalYear now now64 today yesterday timeSlot toTimeZone toTypeName
round floor ceil trunc sqrt exp log log2 log10 pow power greatest least sign
IPv4NumToString IPv6NumToString toIPv4 toIPv6 isIPv4String isIPv6String
mapKeys mapValues mapContains map sipHash64 cityHash64 xxHash64 farmHash64 murmurHash3_64 MD5 SHA256
bitAnd bitOr bitXor bitNot CAST cast _CAST accurateCastOrNull
`;

const aggregates = `
count sum avg min max any anyLast argMin argMax uniq uniqExact uniqCombined uniqHLL12 uniqTheta
quantile quantiles quantileExact quantileTiming quantileTDigest median medianExact
groupArray groupUniqArray groupArraySample topK sumWithOverflow stddevPop stddevSamp varPop varSamp
corr covarPop covarSamp skewPop kurtPop windowFunnel retention sequenceMatch sequenceCount
histogram simpleLinearRegression entropy
row_number rank dense_rank lag lagInFrame leadInFrame first_value last_value nth_value ntile percent_rank cume_dist
`;

const combinatorSuffixes = [
  "If",
  "Array",
  "Merge",
  "State",
  "OrNull",
  "OrDefault",
  "Distinct",
  "ForEach",
  "MergeState",
];

const allowedScalar = new Set(scalar.split(/\s+/).filter(Boolean));
const allowedAggregates = new Set(aggregates.split(/\s+/).filter(Boolean));
// ClickHouse resolves some function names in any case (COUNT, Sum, LOWER): a name is allowed
// when it equals an allowed one ignoring case. A differently-cased name the engine does not
// know that way is refused by the engine as unknown; a test checks against the engine's
// catalogue that no other function hides behind an allowed name's other casing.
const lowered = (names: Set<string>) => new Set([...names].map((n) => n.toLowerCase()));
const allowedScalarLower = lowered(allowedScalar);
const allowedAggregatesLower = lowered(allowedAggregates);

/** Whether tenant SQL may call this aggregate function, combinators included (sumIf, uniqMerge). */
export function isAllowedAggregate(name: string): boolean {
  let base = name.toLowerCase();
  if (allowedAggregatesLower.has(base)) return true;
  for (let i = 0; i < 3; i++) {
    const suffix = combinatorSuffixes.find((s) => base.endsWith(s.toLowerCase()) && base.length > s.length);
    if (!suffix) return false;
    base = base.slice(0, -suffix.length);
    if (allowedAggregatesLower.has(base)) return true;
  }
  return false;
}

/** Whether tenant SQL may call this function (by its name as `EXPLAIN AST` prints it). */
export function isAllowedFunction(name: string): boolean {
  return allowedScalarLower.has(name.toLowerCase()) || isAllowedAggregate(name);
}

/** Every name on the allowlist, as written there. */
export const allowedFunctionNames: readonly string[] = [...allowedScalar, ...allowedAggregates];
