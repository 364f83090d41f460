// Candidate words for prompt synthesis (see prompts.ts). Plain lowercase ASCII so that, under any
// word-splitting tokenizer, each word is its own pre-token; prompts.ts keeps only the words the
// active tokenizer encodes as exactly one token, with and without a leading space.
// Ordered roughly by frequency: the order fixes the vocabulary, so changing it changes every prompt.
export const CANDIDATE_WORDS: readonly string[] = `
the of and to in is that for it as was with be by on not he this are or his from at which but have
an they you were her she there one all we their has been would will what if can when so no more
other some time may these two than first then only its like also people new over after into most
could years such made very out many any over used where just year work well way even back because
good through much before great must should still between own world life state day high since being
under last long both might around while same another help each three part small place every number
during again water found against home school never show house point group system order side general
end given large important need company hand case public kind city fact form early family service both
power found change local national course half line right level often member question market problem
program water area support money story plan best among night study body office report social room
team week month game history process member face type early value human party reason result health
music period control policy field light experience rate design price project country sense market
paper model level data energy science nature center model visit table river garden window letter
simple clear quick bright quiet happy strong ready heavy short early final public open free full
basic easy late major minor main real single whole true wide deep fresh green blue black white red
road street bridge forest mountain island ocean valley desert lake field farm village town market
bank store office hotel station airport hospital library museum theater church castle tower
question answer reason method result effect cause detail example feature function element factor
build create develop explain follow improve include increase involve maintain manage measure
produce provide receive reduce remain report require return support travel understand watch write
read speak listen learn teach open close start finish begin carry bring send keep hold turn move
walk run sit stand live grow fall rise pay buy sell meet join leave stay wait call ask tell give
take make find think know want look come go see get use try feel seem become put mean let work
water fire earth air stone metal wood glass paper cloth bread milk rice fruit apple orange coffee
tea sugar salt butter cheese meat fish chicken egg soup salad dinner lunch breakfast kitchen
chair desk door floor wall roof bed lamp phone camera computer screen keyboard printer engine
wheel car train plane ship boat bus bike truck ticket card key box bag bottle cup plate glass
morning evening night today tomorrow yesterday week month season summer winter spring autumn
north south east west left right center middle top bottom front back inside outside above below
doctor teacher student worker driver writer artist player leader manager engineer farmer lawyer
friend family mother father brother sister child parent woman man person baby member neighbor
animal bird horse dog cat cow sheep tree flower grass leaf seed root plant fruit forest garden
color sound voice picture image film movie song music story book page word letter name title
number figure amount total price cost budget income profit loss tax rate share stock trade deal
account balance payment credit charge fee bill order offer sale supply demand growth risk goal
plan idea thought belief opinion view truth fact rule law right duty power force energy speed
weight size shape length height depth distance space area region zone border edge surface corner
network server client request response signal message record file folder document database query
memory storage cache buffer thread process task job queue event action state status error issue
test check review update version release feature option setting value limit range scale level
careful honest patient polite proud serious gentle brave calm fair kind lucky busy rich poor
modern ancient recent future past present common rare special normal regular usual certain
simple complex direct exact proper private personal social political economic natural physical
digital global local central remote internal external positive negative active passive
`.split(/\s+/).filter((w) => w.length > 0).filter((w, i, all) => all.indexOf(w) === i);
