/*
 * The IANA time zones each US geographic area code covers, most populous zone first.
 * Source: NANPA area code assignments (overlays through 2025) and US DOT time zone boundaries (49 CFR part 71).
 *
 * Covers the 50 states and DC (the same set of area codes libphonenumber-js accepts as US, checked
 * in area-code-zones.test.ts) plus the US territories. Canada and the Caribbean NANP countries are
 * left out: their numbers get no zone from the area code. Toll-free (8XX), premium (900) and
 * non-geographic (5XX) codes belong to no place and are absent on purpose.
 *
 * A code lists every zone where whole communities keep their clocks, official or not, because a
 * quiet-hours check that misses one could text someone at 8:30 pm. One representative zone stands
 * for each behaviour (America/New_York for all of Eastern time); America/Boise marks the Mountain
 * parts of Idaho and Oregon.
 */

const EASTERN = "America/New_York";
const CENTRAL = "America/Chicago";
const MOUNTAIN = "America/Denver";
const MOUNTAIN_IDAHO = "America/Boise";
const ARIZONA = "America/Phoenix"; // Mountain Standard Time all year
const PACIFIC = "America/Los_Angeles";
const ALASKA = "America/Anchorage";
const ALEUTIAN = "America/Adak"; // Hawaii-Aleutian time with daylight saving
const HAWAII = "Pacific/Honolulu"; // no daylight saving

/** Area code → IANA zones, most populous first. */
export const AREA_CODE_ZONES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  // Alabama; Phenix City and Lanett (334) keep Eastern time unofficially, with Columbus, Georgia.
  ...same([CENTRAL], "205", "251", "256", "659", "938"),
  "334": [CENTRAL, EASTERN],
  // Alaska; the Aleutian Islands west of 169°30′W are on Hawaii-Aleutian time.
  "907": [ALASKA, ALEUTIAN],
  // Arizona keeps standard time all year; the Navajo Nation (928) observes daylight saving time.
  ...same([ARIZONA], "480", "520", "602", "623"),
  "928": [ARIZONA, MOUNTAIN],
  // Arkansas
  ...same([CENTRAL], "327", "479", "501", "870"),
  // California
  ...same(
    [PACIFIC],
    "209",
    "213",
    "279",
    "310",
    "323",
    "341",
    "350",
    "369",
    "408",
    "415",
    "424",
    "442",
    "510",
    "530",
    "559",
    "562",
    "619",
    "626",
    "628",
    "650",
    "657",
    "661",
    "669",
    "707",
    "714",
    "738",
    "747",
    "760",
    "805",
    "818",
    "820",
    "831",
    "840",
    "858",
    "909",
    "916",
    "925",
    "949",
    "951",
  ),
  // Colorado
  ...same([MOUNTAIN], "303", "719", "720", "748", "970", "983"),
  // Connecticut
  ...same([EASTERN], "203", "475", "860", "959"),
  // Delaware
  "302": [EASTERN],
  // District of Columbia
  ...same([EASTERN], "202", "771"),
  // Florida; the panhandle west of the Apalachicola River (850/448: Pensacola, Panama City) is Central.
  ...same(
    [EASTERN],
    "239",
    "305",
    "321",
    "324",
    "352",
    "386",
    "407",
    "561",
    "645",
    "656",
    "689",
    "727",
    "728",
    "754",
    "772",
    "786",
    "813",
    "863",
    "904",
    "941",
    "954",
  ),
  ...same([CENTRAL, EASTERN], "448", "850"),
  // Georgia
  ...same([EASTERN], "229", "404", "470", "478", "678", "706", "762", "770", "912", "943"),
  // Hawaii
  "808": [HAWAII],
  // Idaho; the panhandle north of the Salmon River is Pacific.
  ...same([MOUNTAIN_IDAHO, PACIFIC], "208", "986"),
  // Illinois
  ...same(
    [CENTRAL],
    "217",
    "224",
    "309",
    "312",
    "331",
    "447",
    "464",
    "618",
    "630",
    "708",
    "730",
    "773",
    "779",
    "815",
    "847",
    "872",
  ),
  // Indiana; Central in the northwest (Lake to Starke counties) and southwest (Evansville area).
  // 219 also reaches Francesville and Medaryville (Pulaski County, Eastern); 574 reaches Starke County (Central).
  ...same([EASTERN], "260", "317", "463", "765"),
  "219": [CENTRAL, EASTERN],
  ...same([EASTERN, CENTRAL], "574", "812", "930"),
  // Iowa
  ...same([CENTRAL], "319", "515", "563", "641", "712"),
  // Kansas; Sherman and Wallace (785), Greeley and Hamilton (620) counties are Mountain.
  ...same([CENTRAL], "316", "913"),
  ...same([CENTRAL, MOUNTAIN], "620", "785"),
  // Kentucky; the west is Central but Hardin, Meade and nearby counties (270/364) are Eastern,
  // and Clinton County (606) is Central.
  ...same([EASTERN], "502", "859"),
  ...same([CENTRAL, EASTERN], "270", "364"),
  "606": [EASTERN, CENTRAL],
  // Louisiana
  ...same([CENTRAL], "225", "318", "337", "504", "985"),
  // Maine
  "207": [EASTERN],
  // Maryland
  ...same([EASTERN], "227", "240", "301", "410", "443", "667"),
  // Massachusetts
  ...same([EASTERN], "339", "351", "413", "508", "617", "774", "781", "857", "978"),
  // Michigan; the four Upper Peninsula counties bordering Wisconsin (906) are Central.
  ...same([EASTERN], "231", "248", "269", "313", "517", "586", "616", "734", "810", "947", "989"),
  "906": [EASTERN, CENTRAL],
  // Minnesota
  ...same([CENTRAL], "218", "320", "507", "612", "651", "763", "952"),
  // Mississippi
  ...same([CENTRAL], "228", "601", "662", "769"),
  // Missouri
  ...same([CENTRAL], "235", "314", "417", "557", "573", "636", "660", "816", "975"),
  // Montana
  "406": [MOUNTAIN],
  // Nebraska; the panhandle and southwest (308) are Mountain.
  ...same([CENTRAL], "402", "531"),
  "308": [CENTRAL, MOUNTAIN],
  // Nevada; West Wendover is officially Mountain, Jackpot and Owyhee (775) keep Mountain unofficially.
  ...same([PACIFIC], "702", "725"),
  "775": [PACIFIC, MOUNTAIN],
  // New Hampshire
  "603": [EASTERN],
  // New Jersey
  ...same([EASTERN], "201", "551", "609", "640", "732", "848", "856", "862", "908", "973"),
  // New Mexico
  ...same([MOUNTAIN], "505", "575"),
  // New York
  ...same(
    [EASTERN],
    "212",
    "315",
    "329",
    "332",
    "347",
    "363",
    "516",
    "518",
    "585",
    "607",
    "631",
    "646",
    "680",
    "716",
    "718",
    "838",
    "845",
    "914",
    "917",
    "929",
    "934",
  ),
  // North Carolina
  ...same([EASTERN], "252", "336", "472", "704", "743", "828", "910", "919", "980", "984"),
  // North Dakota; the southwest (Dickinson) is Mountain.
  "701": [CENTRAL, MOUNTAIN],
  // Ohio
  ...same([EASTERN], "216", "220", "234", "283", "326", "330", "380", "419", "440", "513", "567", "614", "740", "937"),
  // Oklahoma
  ...same([CENTRAL], "405", "539", "572", "580", "918"),
  // Oregon; most of Malheur County (Ontario, 541/458) is Mountain.
  ...same([PACIFIC], "503", "971"),
  ...same([PACIFIC, MOUNTAIN_IDAHO], "458", "541"),
  // Pennsylvania
  ...same(
    [EASTERN],
    "215",
    "223",
    "267",
    "272",
    "412",
    "445",
    "484",
    "570",
    "582",
    "610",
    "717",
    "724",
    "814",
    "835",
    "878",
  ),
  // Rhode Island
  "401": [EASTERN],
  // South Carolina
  ...same([EASTERN], "803", "821", "839", "843", "854", "864"),
  // South Dakota; west of the Missouri River (Rapid City) is Mountain.
  "605": [CENTRAL, MOUNTAIN],
  // Tennessee; East Tennessee is Eastern except Marion, Sequatchie and Bledsoe counties (423), Central.
  ...same([CENTRAL], "615", "629", "731", "901", "931"),
  "423": [EASTERN, CENTRAL],
  "865": [EASTERN],
  // Texas; El Paso and Hudspeth counties (915) are Mountain, and far West Texas (432) partly keeps Mountain.
  ...same(
    [CENTRAL],
    "210",
    "214",
    "254",
    "281",
    "325",
    "346",
    "361",
    "409",
    "430",
    "469",
    "512",
    "682",
    "713",
    "726",
    "737",
    "806",
    "817",
    "830",
    "832",
    "903",
    "936",
    "940",
    "945",
    "956",
    "972",
    "979",
  ),
  "432": [CENTRAL, MOUNTAIN],
  "915": [MOUNTAIN],
  // Utah
  ...same([MOUNTAIN], "385", "435", "801"),
  // Vermont
  "802": [EASTERN],
  // Virginia
  ...same([EASTERN], "276", "434", "540", "571", "686", "703", "757", "804", "826", "948"),
  // Washington
  ...same([PACIFIC], "206", "253", "360", "425", "509", "564"),
  // West Virginia
  ...same([EASTERN], "304", "681"),
  // Wisconsin
  ...same([CENTRAL], "262", "274", "353", "414", "534", "608", "715", "920"),
  // Wyoming
  "307": [MOUNTAIN],
});

/** US territories: their own zones, so texts there respect local hours too. */
export const TERRITORY_AREA_CODE_ZONES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  "340": ["America/St_Thomas"], // US Virgin Islands
  "670": ["Pacific/Saipan"], // Northern Mariana Islands
  "671": ["Pacific/Guam"], // Guam
  "684": ["Pacific/Pago_Pago"], // American Samoa
  ...same(["America/Puerto_Rico"], "787", "939"), // Puerto Rico
});

function same(zones: readonly string[], ...areaCodes: string[]): Record<string, readonly string[]> {
  return Object.fromEntries(areaCodes.map((areaCode) => [areaCode, zones]));
}
