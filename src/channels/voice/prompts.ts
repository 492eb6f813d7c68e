import type { Language } from '../../core/contact';

/** "KL-12345674" read digit by digit: "K L, 1, 2, 3, 4, 5, 6, 7, 4". */
export function spokenReference(reference: string): string {
  return `K L, ${reference.replace(/^KL-/, '').split('').join(', ')}`;
}

/** What the caller hears, per language. Dutch is the default; key 9 switches to English. */
type Prompt = (args: Record<string, string>) => string;

const nl = {
    greetKnown: ({ name }) => `Goedendag ${name}.`,
    welcome: () => 'Welkom bij de klantenservice.',
    aboutOpen: ({ reference }) =>
      `Belt u over uw klacht met nummer ${reference}? Toets 1 om een medewerker te spreken, 2 om teruggebeld te worden, of 3 om de status te horen. Belt u over iets anders, toets 4.`,
    describe: () =>
      'Vertel in een paar zinnen waarover u belt. Of toets 1 voor een medewerker, 2 om teruggebeld te worden, of 3 voor de status van een klacht.',
    notHeard: () => 'Ik heb u niet verstaan.',
    wrongKey: () => 'Dat is geen geldige keuze.',
    recorded: ({ reference }) => `Dank u. Uw klacht is genoteerd onder nummer ${reference}.`,
    menu: () => 'Toets 1 om een medewerker te spreken, 2 om teruggebeld te worden, of 3 om de status te horen.',
    keyReference: () => 'Toets de acht cijfers van uw klachtnummer.',
    referenceWrong: () => 'Dat nummer klopt niet. Probeer het nog een keer.',
    referenceGiveUp: () => 'Het nummer is niet herkend. Ik verbind u door met een medewerker.',
    statusOpen: ({ reference, due }) => `Uw klacht ${reference} is in behandeling. Een medewerker reageert uiterlijk ${due}.`,
    statusAnswered: ({ reference }) => `Uw klacht ${reference} is in behandeling. Een medewerker heeft al gereageerd.`,
    statusResolution: ({ reference, due }) => `Uw klacht ${reference} is in behandeling. Een medewerker heeft al gereageerd. We verwachten de klacht uiterlijk ${due} op te lossen.`,
    statusPromise: ({ reference, due }) => `Uw klacht ${reference} is in behandeling. Wat een medewerker u heeft toegezegd, volgt uiterlijk ${due}.`,
    statusResolved: ({ reference }) => `Uw klacht ${reference} is afgehandeld.`,
    connecting: () => 'Een moment alstublieft, ik verbind u door met een medewerker.',
    noAgent: () => 'Er is op dit moment geen medewerker beschikbaar.',
    callbackNoted: () =>
      'Uw terugbelverzoek is genoteerd. Een medewerker belt u terug op dit nummer, tijdens onze openingstijden.',
    slotsBySms: () => 'U krijgt ook een sms met tijden om uit te kiezen. Antwoord met het cijfer van de tijd die u past.',
    callbackWithheld: ({ reference }) =>
      `Uw nummer is afgeschermd, daarom kunnen we u niet terugbellen. Stuur ons een sms of e-mail met uw klachtnummer ${reference}.`,
    callbackNotOwnNumber: () =>
      'Een terugbelafspraak voor deze klacht kan alleen worden gemaakt vanaf het eigen telefoonnummer van de klant. Een medewerker neemt contact op met de klant.',
    goodbye: () => 'Dank u wel voor uw telefoontje. Tot ziens.',
    slotIntro: () => 'Wanneer mogen we u terugbellen?',
    slotKey: ({ key, slot }) => `Toets ${key} voor ${slot}.`,
    slotBooked: ({ slot }) => `Uw terugbelafspraak staat: ${slot}. Een medewerker belt u dan terug op dit nummer.`,
    slotTaken: () => 'Dat tijdstip is helaas net vergeven.',
} satisfies Record<string, Prompt>;

const en: Record<keyof typeof nl, Prompt> = {
    greetKnown: ({ name }) => `Hello ${name}.`,
    welcome: () => 'Welcome to customer service.',
    aboutOpen: ({ reference }) =>
      `Are you calling about your complaint number ${reference}? Press 1 to speak to an agent, 2 to be called back, or 3 to hear its status. If you are calling about something else, press 4.`,
    describe: () =>
      'Please tell us in a few sentences what you are calling about. Or press 1 for an agent, 2 to be called back, or 3 for the status of a complaint.',
    notHeard: () => 'Sorry, I did not catch that.',
    wrongKey: () => 'That is not a valid choice.',
    recorded: ({ reference }) => `Thank you. Your complaint has been recorded under number ${reference}.`,
    menu: () => 'Press 1 to speak to an agent, 2 to be called back, or 3 to hear the status.',
    keyReference: () => 'Please enter the eight digits of your complaint number.',
    referenceWrong: () => 'That number is not right. Please try again.',
    referenceGiveUp: () => 'The number was not recognised. I will connect you to an agent.',
    statusOpen: ({ reference, due }) => `Your complaint ${reference} is being handled. An agent will respond by ${due}.`,
    statusAnswered: ({ reference }) => `Your complaint ${reference} is being handled. An agent has already responded.`,
    statusResolution: ({ reference, due }) => `Your complaint ${reference} is being handled. An agent has already responded. We expect to resolve it by ${due}.`,
    statusPromise: ({ reference, due }) => `Your complaint ${reference} is being handled. What an agent promised you will follow by ${due}.`,
    statusResolved: ({ reference }) => `Your complaint ${reference} has been resolved.`,
    connecting: () => 'One moment please, I am connecting you to an agent.',
    noAgent: () => 'No agent is available at the moment.',
    callbackNoted: () =>
      'Your callback request has been noted. An agent will call you back on this number during our opening hours.',
    slotsBySms: () => 'You will also get a text message with times to choose from. Reply with the number of the time that suits you.',
    callbackWithheld: ({ reference }) =>
      `Your number is withheld, so we cannot call you back. Please send us a text message or email quoting your complaint number ${reference}.`,
    callbackNotOwnNumber: () =>
      "A callback for this complaint can only be arranged from the customer's own phone number. An agent will contact the customer.",
    goodbye: () => 'Thank you for calling. Goodbye.',
    slotIntro: () => 'When may we call you back?',
    slotKey: ({ key, slot }) => `Press ${key} for ${slot}.`,
    slotBooked: ({ slot }) => `Your callback is booked: ${slot}. An agent will call you back on this number then.`,
    slotTaken: () => 'Sorry, that time has just been taken.',
};

export const PROMPTS: Record<Language, Record<keyof typeof nl, Prompt>> = { nl, en };

/** Said in Dutch on every Dutch menu, so an English speaker finds the way out. */
export const ENGLISH_OPTION = 'For English, press 9.';

export const SPEECH: Record<Language, { language: 'nl-NL' | 'en-GB'; voice: 'Polly.Lotte' | 'Polly.Amy' }> = {
  nl: { language: 'nl-NL', voice: 'Polly.Lotte' },
  en: { language: 'en-GB', voice: 'Polly.Amy' },
};
