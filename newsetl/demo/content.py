"""Article text for the demo sites.

SEED_* is the seed story (a naive text dump of a Wix blog post, kept verbatim, including its
repeated paragraph). Everything else is original writing for these fixtures: invented
people, places and events. A paragraph starting with "## " is rendered as a subheading.
"""

SEED_TITLE = "Government resigns, as troops, protestors clash in Kazakhstan's capital - Some Military Captured"
SEED_STANDFIRST = "Armored personnel carriers and troops arrive in Almaty on Thursday * Internet in the Asian country had been shut down * Eight police and national guard troops killed, 317 injured."
SEED_PARAGRAPHS = [
    "Several armored personnel carriers and dozens of troops moving on foot entered the main square of Almaty, Kazakhstan's largest city, on Thursday morning where hundreds of people were protesting against the government for the third day, Reuters correspondents reported from the scene.",
    "Gunshots were heard as troops approached the crowd, according to Reuters witnesses.",
    "Protesters had seized control of the airport of Kazakhstan's biggest city Almaty on Wednesday, a source familiar with the matter told Reuters, as the Central Asian country was hit by a wave of unrest that started with demonstrations against fuel price rises.",
    "All flights to and from Almaty are temporarily canceled, the source said.",
    "Kazakhstan's internal affairs ministry said on Wednesday evening that eight police and national guard troops were killed and 317 were injured in several regions during the riots.",
    "Demonstrators stormed and torched public buildings, the worst unrest for more than a decade in the tightly controlled country.",
    "The Cabinet resigned, but that failed to quell the anger of the demonstrators, who have taken to the streets in response to a fuel price increase from the start of the new year.",
    "Though the unrest was triggered by the price rise, there were signs of broader political demands in a country still under the shadow of three decades of one-man rule.",
    "Nursultan Nazarbayev, 81, took office as president of the former Soviet republic in 1990 and only stepped down in 2019. He retained authority as ruling party boss and head of a powerful security council.",
    "An Instagram live stream by a Kazakh blogger showed a fire blazing in the office of the mayor of the main city, Almaty, with apparent gunshots audible nearby. Videos posted online also showed the nearby prosecutor's office burning.",
    "Earlier on Wednesday, Reuters journalists saw thousands of protesters pressing towards Almaty city center, some of them on a large truck. Security forces, ranked in helmets and riot shields, fired tear gas and flash-bang grenades.",
    'The city\'s police chief said Almaty was under attack by "extremists and radicals," who had beaten up 500 civilians and ransacked hundreds of businesses.',
    'A presidential decree announced a two-week state of emergency and a nighttime curfew in the capital Nur-Sultan - named after the former president. It cited a "serious and direct security threat to citizens."',
    "States of emergency were also declared in Almaty and in the westerly Mangistau province, where protests first broke out.",
    'Reuters journalists reported the internet had been shut down as the unrest spread. Netblocks, a site that monitors global internet connectivity, said Kazakhstan was "in the midst of a nation-scale internet blackout."',
    "Though the unrest was triggered by a fuel price rise, there were signs of broader political demands in a country still under the shadow of three decades of one-man rule.",
    'Footage showed police and security officials in civilian clothes breaking up a small group of protesters in the city of Shymkent, hauling away men and pushing them into a police car and a white van as some chanted "Nazarbayev, go away!"',
    'In the city of Aqtobe, what appeared to be several hundred protesters gathered on a square shouting: "Old Man, go away!." A video posted online showed police using water cannons and stun grenades against protesters near the mayor\'s office there.',
    "Russian President Vladimir Putin discussed the unrest in Kazakhstan in a conversation with Kazakh President Kassym-Jomart Tokayev and Belarus President Alexander Lukashenko on Wednesday, the Belarusian news agency Belta said.",
    "The White House urged calm and restraint on Wednesday in reaction to protests in Kazakhstan where demonstrators stormed and torched public buildings in the republic's worst unrest for more than a decade.",
    'White House press secretary Jen Psaki said Russian accusations that the United States had instigated the unrest were "absolutely false."',
    "Peacekeepers from a Russian-led alliance of ex-Soviet states will be sent to Kazakhstan to help stabilize the country following mass protests, Armenian Prime Minister Nikol Pashinyan said on Thursday, in a statement published by Russia's news agency.",
    "Kazakh President Kassym-Jomart Tokayev earlier appealed for help from the Collective Security Treaty Organization (CSTO), a military alliance of Russia, Belarus, Armenia, Kazakhstan, Kyrgyzstan and Tajikistan.",
    "The United States later condemned violence and property destruction in Kazakhstan and called on protesters and authorities to exercise restraint, the State Department said in a statement.",
    'Calling Kazakhstan "a valued partner," the statement urged all Kazakhstanis "to respect and defend constitutional institutions, human rights, and media freedom, including through the restoration of internet service."',
]

# --- Wix-like blog: original posts ---------------------------------------------------

NIGHT_TRAIN = [
    "Everyone told me to fly. The hop from Almaty to Tashkent is short, the fares are often "
    "no worse than a sleeper berth, and you arrive with a whole evening left to wander the "
    "Uzbek capital. I took the train anyway, and I would do it again, but there are a few "
    "things I wish somebody had told me before I climbed aboard with a paper bag of apples "
    "and far too much confidence.",
    "## 1. The ticket office is your friend",
    "I tried to book online three times and gave up three times. The woman behind the glass "
    "at Almaty-2 station needed about four minutes, my passport and a small amount of "
    "patience. She also told me, without being asked, that the lower berths in the second "
    "compartment are the quiet ones because they are furthest from the samovar. She was "
    "right about that, as it turned out.",
    "## 2. Bring more water than you think",
    "The carriage heating runs on its own schedule, and that schedule has nothing to do with "
    "the weather outside. By midnight the compartment felt like a sauna with a view of the "
    "snow. The attendant sells tea and instant noodles, but bottled water ran out before we "
    "reached the first long stop.",
    "## 3. The border takes a while",
    "Plan for a long pause at the frontier. Officers from both sides come through the "
    "carriage, one after the other, and everybody stays in their compartment until they "
    "have gone. Keep your passport, your migration card and a pen within reach, and do not "
    "fall asleep on top of your documents like the man in the berth above mine did.",
    "## 4. Your neighbours will feed you",
    "I shared the compartment with a retired schoolteacher from Turkistan and her grandson, "
    "who was travelling to a chess tournament. Within an hour I had been given flatbread, "
    "dried apricots, a hard-boiled egg and a long lecture on the Sicilian Defence. Bring "
    "something to share. Sweets from a good bakery go a long way.",
    "## 5. Morning is the reward",
    "Somewhere after dawn the landscape changes. The steppe gives way to cotton fields, "
    "poplar rows and mud-brick walls, and the light turns the colour of weak tea. I spent "
    "the last two hours standing in the corridor with my forehead against the glass, which "
    "is, I think, the whole point of taking the train.",
    "Would I recommend it? If you are in a hurry, no. If you want to arrive in Tashkent "
    "feeling that you have actually travelled somewhere, absolutely. Next time I will pack "
    "lighter, sleep lower, and bring twice as much water.",
]

BAKERY = [
    "The ovens at the Nurlan family bakery on the edge of Shymkent are lit at three in the "
    "morning, every morning, and have been for twenty-two years. Last spring, for eleven "
    "days, they almost were not.",
    "Flour deliveries stopped without warning. The wholesaler the family had used since the "
    "1990s sent a short message saying that supplies were being held back until prices "
    "settled. Prices did not settle. They rose, and then rose again, and the small bakeries "
    "of the district found themselves competing for whatever sacks were left.",
    '"We had enough for four days," says Gulnara Nurlan, who runs the business with her '
    'husband and two of their sons. "After that we were going to bake only for the '
    "neighbours who had already paid for the week. I did not know what we would tell "
    'everybody else."',
    "## Borrowing from the competition",
    "What happened next surprised her. The owner of a rival bakery three streets away, a man "
    "she describes as polite but not exactly friendly, came by with two sacks in the back of "
    "his car and an offer: he would lend her flour now if she would lend him her second "
    "oven on the days his own was being repaired. A handshake deal, written down nowhere.",
    "Other arrangements followed. A cousin with a lorry drove to a mill in a neighbouring "
    "region and came back with enough for a fortnight. A restaurant that had cut its opening "
    "hours sold its surplus at cost. The family switched, for a while, to smaller loaves and "
    "fewer varieties, and put a handwritten note in the window explaining why.",
    "## What changed",
    "Customers, Gulnara says, were more patient than she expected. A few complained about "
    "the size of the bread. Most did not. Several started paying a month in advance, which "
    "gave the bakery the cash to buy flour in larger quantities when it became available "
    "again.",
    "The crisis also changed how the family plans. They now keep a reserve of flour in a "
    "rented storeroom, buy from two suppliers instead of one, and meet once a month with "
    "four other bakers from the district to compare prices. The rival with the two sacks is "
    "one of them.",
    '"We still argue about who makes the better samsa," Gulnara says, laughing. "But now we '
    'argue over tea."',
    "The bakery sells about nine hundred loaves on an ordinary day and more than twice that "
    "before holidays. The ovens were lit again at three this morning.",
]

ISSYK_KUL_DE = [
    "Wer im Dezember an den Issyk-Kul fährt, wird von Freunden meist ungläubig angesehen. "
    "Baden im Winter? Natürlich nicht. Aber der See friert nie zu, und genau das macht ein "
    "Wochenende an seinem Ufer in der kalten Jahreszeit so besonders.",
    "Wir sind an einem Freitagmorgen in Bischkek losgefahren, zu dritt in einem Kleinbus, "
    "der schon bessere Tage gesehen hatte. Die Straße führt durch die Boom-Schlucht, vorbei "
    "an Felswänden, an denen Eiszapfen hängen wie Orgelpfeifen. Nach gut vier Stunden "
    "öffnet sich das Tal, und plötzlich liegt der See da: dunkelblau, still, umgeben von "
    "schneebedeckten Bergen.",
    "## Ein Ufer ohne Touristen",
    "Im Sommer sind die Strände an der Nordseite voll, die Pensionen ausgebucht, die Preise "
    "hoch. Im Winter dagegen hatten wir kilometerlange Uferwege fast für uns allein. Ein "
    "älterer Fischer flickte seine Netze, ein paar Kinder warfen flache Steine übers Wasser, "
    "sonst war niemand zu sehen. Die meisten Cafés hatten geschlossen, aber in dem kleinen "
    "Gästehaus, in dem wir übernachteten, gab es jeden Abend Suppe mit Lammfleisch und "
    "frisches Brot.",
    "## Heiße Quellen und kalte Luft",
    "Der eigentliche Grund für unsere Reise waren die heißen Quellen im Süden des Sees. Es "
    "ist ein seltsames Gefühl, bei minus zehn Grad im dampfenden Wasser zu sitzen, während "
    "über einem die Sterne funkeln. Die Becken sind einfach gebaut, mit Holzstegen und "
    "einer Hütte zum Umziehen, und am Eingang sitzt eine Frau, die die Eintrittskarten "
    "verkauft und nebenbei gestrickte Socken anbietet. Wir haben alle drei ein Paar gekauft.",
    "Am Sonntag sind wir früh aufgestanden, um den Sonnenaufgang über den Bergen zu sehen. "
    "Das Licht kam langsam, erst rosa, dann golden, und für einige Minuten spiegelten sich "
    "die Gipfel so klar im Wasser, dass man nicht mehr sagen konnte, wo oben und unten ist.",
    "## Praktische Hinweise",
    "Warme Kleidung ist selbstverständlich, aber auch Bargeld ist wichtig: Viele kleine "
    "Unterkünfte und Quellen nehmen keine Karten. Die Straßen sind meist geräumt, doch nach "
    "Schneefall kann es dauern. Wer nicht selbst fahren möchte, findet in Bischkek "
    "Sammeltaxis, die am Vormittag Richtung See abfahren.",
    "Würden wir wiederkommen? Ohne zu zögern. Der Issyk-Kul im Winter ist kein Ziel für "
    "einen Strandurlaub, sondern für Menschen, die Ruhe suchen und ein wenig Kälte nicht "
    "scheuen.",
]

PODCASTS = [
    "Three years ago, if you wanted to listen to a long-form conversation in Kazakh on your "
    "phone, you had to look quite hard. Today the problem is the opposite: there are more "
    "shows than anyone could keep up with, and new ones appear every week.",
    "Nobody seems to have exact numbers, but producers I spoke to agree on the shape of the "
    "change. The first wave of Kazakh-language podcasts was made by a handful of journalists "
    "and teachers, recorded on borrowed microphones in spare bedrooms. The second wave, which "
    "began during the long months of lockdown, brought in comedians, historians, football "
    "fans, doctors and a surprising number of grandmothers.",
    "## Talking the way people talk",
    '"For years, the Kazakh you heard in the media was very formal," says Aruzhan Temir, '
    'who hosts a weekly show about family histories. "News readers, officials, textbook '
    "language. On a podcast you can speak the way people speak at the kitchen table. "
    'Listeners tell me that is why they started listening in the first place."',
    "Her show began as a project with her students. Each episode, a guest tells the story "
    "of one object that has been in their family for more than fifty years: a teapot, a "
    "saddle, a wedding photograph, a letter from the front. The episodes are short, rarely "
    "longer than twenty-five minutes, and the comments underneath are often longer than the "
    "episodes themselves.",
    "## Bilingual audiences",
    "Many of the new shows move freely between Kazakh and Russian, sometimes within a single "
    "sentence. Some producers worry that this slows down the spread of the language. Others "
    "see it as an honest reflection of how their listeners live, and as a door that lets "
    "Russian-speaking Kazakhs find their way into Kazakh-language content at their own pace.",
    "Money remains the hard part. Advertising is still rare, and most hosts pay for their "
    "equipment and hosting themselves. A few have found sponsors among local businesses; "
    "one popular history show is supported almost entirely by listeners who transfer small "
    "amounts each month.",
    "## What comes next",
    "The producers I spoke to expect the field to professionalise, with small studios, "
    "regular schedules and perhaps a network or two. Most of them hope it will not lose the "
    "informality that made it attractive in the first place.",
    '"If it starts to sound like the evening news," Aruzhan says, "people will go back to '
    'the evening news."',
]

BAZAR_FR = [
    "Il est sept heures du matin et le Zelyony Bazar s'éveille à peine. Sous la grande halle "
    "aux arcades vertes, les vendeuses installent leurs étals de fruits secs, les bouchers "
    "aiguisent leurs couteaux et l'odeur du pain chaud se mêle déjà à celle des épices.",
    "Le « Bazar vert », comme l'appellent les habitants d'Almaty, est bien plus qu'un marché. "
    "C'est un lieu de rencontre, un baromètre des prix et, pour beaucoup de familles, une "
    "sortie du dimanche. On y vient pour acheter, bien sûr, mais aussi pour discuter, goûter "
    "et négocier.",
    "## L'art de la négociation",
    "Ici, rien ne s'achète sans un échange. La vendeuse de noix qui tient son stand depuis "
    "trente ans m'explique en souriant que le premier prix n'est jamais le bon. « Si vous ne "
    "discutez pas, je suis déçue », dit-elle en me tendant une poignée d'amandes à goûter. "
    "Nous tombons d'accord après cinq bonnes minutes, et elle ajoute un sachet de raisins "
    "secs « pour la route ».",
    "## Entre tradition et modernité",
    "Le marché change pourtant. Les paiements par téléphone se sont généralisés, même chez "
    "les plus anciens vendeurs, et de jeunes commerçants proposent désormais des fromages "
    "artisanaux, du café de spécialité ou des confitures aux saveurs inattendues. À l'étage, "
    "une petite boutique vend des vêtements en feutre créés par des artisanes de la région.",
    "Les habitués, eux, restent fidèles à leurs adresses. Un retraité m'explique qu'il achète "
    "son kazy, la saucisse de cheval traditionnelle, chez le même boucher depuis plus de "
    "vingt ans. « Le prix a changé, le boucher a vieilli, mais le goût est le même », "
    "résume-t-il.",
    "## Conseils pratiques",
    "Venez tôt pour éviter la foule et profiter des produits les plus frais. Prévoyez un peu "
    "d'argent liquide, car certains petits stands n'acceptent pas encore les paiements "
    "électroniques. Et surtout, prenez votre temps : au Zelyony Bazar, la précipitation est "
    "presque une impolitesse.",
    "En quittant la halle vers midi, les bras chargés de sacs, je comprends pourquoi tant de "
    "voyageurs considèrent ce marché comme le cœur battant de la ville.",
]

# --- WordPress-like news site --------------------------------------------------------

# The republished seed story: a different headline, a different byline, the live-stream
# paragraph cut, a new paragraph about queues added, and a credit line at the end.
NEWS_SEED_TITLE = "Kazakhstan's government quits as troops and protesters clash in Almaty"
NEWS_SEED_STANDFIRST = (
    "Troops moved into the main square of Kazakhstan's largest city as the cabinet resigned "
    "and unrest over fuel prices spread across the country."
)
NEWS_SEED_CUT = (
    "An Instagram live stream by a Kazakh blogger showed a fire blazing in the office of the "
    "mayor of the main city, Almaty, with apparent gunshots audible nearby. Videos posted online "
    "also showed the nearby prosecutor's office burning."
)
NEWS_SEED_ADDED = (
    "Residents reached by telephone described long queues at petrol stations and cash "
    "machines, with most shops in the city centre shut and public transport suspended."
)
NEWS_SEED_CREDIT = (
    "(Reporting by Timur Bekov in Almaty and Ruth Okafor in Washington; Editing by Clare Whitfield)"
)

GLACIERS = [
    "A team of geographers has used survey photographs taken more than half a century ago to "
    "measure how far the glaciers of a remote mountain valley have retreated, in one of the "
    "most detailed local records of ice loss published so far.",
    "The researchers scanned several hundred glass-plate negatives kept in a university "
    "archive and matched them, landmark by landmark, with drone images taken last summer. "
    "By comparing the two sets, they were able to reconstruct the outline of eleven "
    "glaciers at two points in time.",
    '"The old photographers were extremely careful about where they stood," said Dr Mira '
    'Kalnins, who led the project. "That care is what makes the comparison possible. We '
    'could find the same boulder, the same ridge, sometimes the same cairn."',
    "The results show that every one of the eleven glaciers has shrunk, some of them "
    "dramatically. The smallest have split into separate patches of ice, and two have "
    "almost disappeared. The largest glacier in the valley has lost roughly a third of its "
    "surface area and its tongue now ends several hundred metres higher than it once did.",
    "Meltwater from the valley feeds a river used to irrigate orchards and fields further "
    "downstream. Farmers there have reported more water early in the summer and less in "
    "late August, a pattern the researchers say is consistent with shrinking ice.",
    "The team plans to publish the matched photographs online so that other researchers and "
    "local schools can use them. They are also appealing for private collections: family "
    "albums, they say, often contain mountain pictures that could fill gaps in the record.",
    '"Every photograph with a date and a place on it is a measurement," Kalnins said. '
    '"Most people do not know they are keeping scientific data in a shoebox."',
]

FREIGHT = [
    "Grain exporters are facing a sharp rise in shipping costs this winter as freight rates "
    "climb on key routes, squeezing margins that were already thin after a volatile harvest "
    "season, traders and brokers said on Tuesday.",
    "The cost of chartering a mid-sized bulk carrier has risen for five consecutive weeks, "
    "according to figures compiled by a shipbroking firm, driven by port congestion, higher "
    "fuel prices and a shortage of available vessels.",
    '"Everyone booked early because they were afraid of exactly this, and that made it '
    'happen faster," said Anders Holm, a freight broker. "There are simply not enough '
    'ships in the right places at the moment."',
    "Exporters who sold grain months ago at fixed prices are among the hardest hit, because "
    "they must now pay much more than they planned to move the cargo. Some have asked buyers "
    "to renegotiate delivery dates, while others are storing grain in port silos in the hope "
    "that rates will ease in the spring.",
    "Importers are feeling the pressure too. Millers in several countries said higher "
    "delivered prices would eventually be passed on to bakeries and, in turn, to shoppers, "
    "although the effect on the price of a loaf would be small compared with the cost of "
    "energy and labour.",
    "Analysts expect rates to stay high until at least the end of the first quarter, when "
    "new vessels are due to enter service and seasonal demand usually slows.",
]

NIGHT_BUS = [
    "Late-night buses will run through the river districts for the first time in more than "
    "a decade after the city council on Monday approved a six-month pilot scheme, ending a "
    "long campaign by shift workers and residents.",
    "The pilot will add two routes between midnight and five in the morning, linking the "
    "hospital quarter, the old docks and the central station. Buses will run every thirty "
    "minutes on weekdays and every twenty minutes on Friday and Saturday nights.",
    "Councillors voted 31 to 9 in favour after a debate that lasted almost three hours. "
    "Supporters said the service would help nurses, cleaners, bakers and hospitality staff "
    "who finish work after the last regular bus has gone. Opponents questioned the cost and "
    "asked whether demand would be high enough to justify it.",
    '"For years people have been walking home along the river at two in the morning '
    'because there was no other choice," said councillor Hana Petrova, who proposed the '
    'scheme. "This is about safety as much as convenience."',
    "The transport department will publish passenger numbers every month. If the routes "
    "carry at least forty people per hour on average, the council will consider making them "
    "permanent and extending the service to the northern suburbs.",
    "The first buses are expected to run from the beginning of next month, once drivers have "
    "been recruited and timetables printed.",
]

BORDER = [
    "Traders loaded carts with dried fruit, carpets and kitchenware on Sunday as a small "
    "mountain border crossing reopened after almost two years, bringing noise back to a "
    "market town that had grown quiet.",
    "The crossing, which serves a valley of farming villages on both sides of the frontier, "
    "was closed during the pandemic and remained shut long after larger checkpoints had "
    "reopened. Local officials said the delay was caused by repairs to the road and the "
    "customs building.",
    "By mid-morning a queue of lorries stretched back more than a kilometre. Families who had "
    "not seen relatives across the border since the closure waited on foot, some carrying "
    "gifts wrapped in cloth.",
    '"My sister had a baby and I have only seen him on the phone," said Dilnoza Karimova, '
    'a teacher who had travelled from a village two hours away. "Today I will hold him."',
    "Market traders in the town said the closure had cut their income by half or more, as "
    "customers from the other side of the border stopped coming. Several shops closed for "
    "good. Those that survived relied on deliveries routed through a distant crossing, "
    "which added days and costs.",
    "The crossing will be open from eight in the morning until six in the evening, officials "
    "said, with longer hours planned for the summer harvest season.",
]

# --- error site ----------------------------------------------------------------------

HUB = [
    "This page is a map of everything on this site that does not work as it should. It is "
    "written for people who test crawlers, and every link below leads somewhere awkward.",
    "Some pages are simply gone. Others fail every time, or fail a couple of times and then "
    "recover. Two pages send you to each other forever. One link leads to another host "
    "entirely, one to a PDF report, and one to a post that the robots file asks crawlers "
    "to leave alone.",
    "A well-behaved crawler should record each failure with a clear reason, retry the pages "
    "that deserve a second chance, follow an honest permanent redirect to its new home, stop "
    "going round in circles, stay on its own site and respect the robots file. It should "
    "also notice that a report in PDF is not an HTML article.",
    "Everything else on the site is ordinary local news, written to look like the kind of "
    "short item a small newsroom publishes several times a day.",
]

FERRY = [
    "The harbour ferry will run a reduced timetable from Monday while one of its two boats "
    "is taken out of the water for its annual inspection, the port authority said.",
    "Crossings will leave every forty minutes instead of every twenty between seven in the "
    "morning and seven in the evening. The last evening crossing will leave at half past "
    "ten, as usual.",
    "The inspection is expected to take three weeks. Passengers with bicycles are asked to "
    "travel outside the morning rush where possible, because the remaining boat has less "
    "room on its deck.",
    "A replacement bus will not be provided, but the authority said it would publish daily "
    "updates on its notice board at the ferry terminal.",
]

LIBRARY = [
    "The central library reopened on Saturday after an eighteen-month renovation that added "
    "a children's floor, a rooftop reading terrace and a repair café in the basement.",
    "Hundreds of people queued before the doors opened at ten. The first visitor, a retired "
    "postman, returned a book he said he had borrowed the week before the library closed.",
    "The renovation kept the building's original staircase and stained-glass windows, which "
    "were cleaned and repaired by volunteers. New lifts and ramps make every floor "
    "accessible for the first time.",
    "Opening hours have been extended to eight in the evening on weekdays, and the library "
    "will now open on Sunday afternoons.",
]

SLOW_STORY = [
    "Residents of the hill streets above the harbour have been asked to keep their bins "
    "indoors until Thursday after high winds scattered rubbish across several roads.",
    "Council crews spent Tuesday morning clearing pavements and unblocking drains. A spokes"
    "woman said collections would resume on the normal schedule once the wind dropped.",
    "Forecasters expect gusts to ease by Wednesday evening, with calmer weather for the weekend.",
]

SECRET = [
    "This post is linked from the home page, but the robots file disallows everything under "
    "the private folder. A crawler that respects robots.txt must never request it.",
    "If you are reading this in a crawl's output, the crawler ignored the robots file.",
]
