package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/report"
)

// BulletinWriter is what seeding bulletins needs from the bulletin
// service.
type BulletinWriter interface {
	Create(ctx context.Context, p account.Principal, c bulletin.Content) (string, error)
	Publish(ctx context.Context, p account.Principal, ref string) (bulletin.Version, error)
}

// KeyPublisher publishes indicator keys (report.Service.Publish).
type KeyPublisher interface {
	Publish(ctx context.Context, p account.Principal, key string) error
}

// DemoBulletinKeys are the demo's indicator keys that its parcel-fee
// bulletin cites: the phishing campaign's two numbers and short link
// (see SeedReports), published first so that they may be cited.
var DemoBulletinKeys = []string{"phone:+33199001234", "phone:+33199004567", "url:https://lnk.example/c0lis-7Hq"}

// SeedBulletins publishes the demo's four current bulletins: the fake
// parcel fee text messages (citing campaign, the phishing campaign's
// reference, when given, and its published keys), the fake bank adviser,
// the fake online shop and the sextortion of teenagers. It returns their
// references.
func SeedBulletins(ctx context.Context, svc BulletinWriter, keys KeyPublisher, writer, analyst account.Principal, campaign string, now time.Time) ([]string, error) {
	var cited []string
	for _, k := range DemoBulletinKeys {
		err := keys.Publish(ctx, analyst, k)
		switch {
		case err == nil:
			cited = append(cited, k)
		case errors.Is(err, guichet.ErrNotFound):
			// Not in the seeded reports (another seed): not cited.
		default:
			return nil, fmt.Errorf("demo: publish %s: %w", k, err)
		}
	}
	from := now.Add(-72 * time.Hour).Truncate(time.Hour)
	all := DemoBulletins(from)
	all[0].Keys = cited
	if campaign != "" {
		all[0].Campaigns = []string{campaign}
	}
	var refs []string
	for _, c := range all {
		ref, err := svc.Create(ctx, writer, c)
		if err != nil {
			return nil, fmt.Errorf("demo: bulletin %s: %w", c.Slug, err)
		}
		if _, err := svc.Publish(ctx, writer, ref); err != nil {
			return nil, fmt.Errorf("demo: publish bulletin %s: %w", c.Slug, err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// DemoBulletins are the demo's bulletins, current from from.
func DemoBulletins(from time.Time) []bulletin.Content {
	return []bulletin.Content{
		{
			Slug: "faux-sms-frais-de-livraison", Level: bulletin.LevelAlert, Audiences: []bulletin.Audience{bulletin.AudienceEveryone},
			Category: report.CatPhishing, ValidFrom: from, ValidUntil: from.AddDate(0, 2, 0),
			FR: bulletin.Text{
				Title:   "Faux SMS : « votre colis est en attente, réglez les frais »",
				Summary: "Des centaines de SMS réclament en ce moment 1,99 € de frais de livraison ou de douane. Le lien mène à un faux site qui vole votre carte bancaire.",
				Looks: "- « Votre colis est en attente de livraison. Réglez les frais de 1,99 € : lnk.example/… »\n" +
					"- « La Poste : votre colis n'a pas pu être livré. Reprogrammez la livraison ici … »\n" +
					"- un lien court, un numéro en 01 99 00 … à rappeler, une urgence (« dernier avis »)\n\n" +
					"Le site imite La Poste ou un transporteur, puis demande votre numéro de carte et le code reçu par SMS.",
				Do: "1. Ne cliquez pas et ne rappelez pas le numéro.\n" +
					"2. Transférez le SMS au **33700** (gratuit), puis supprimez-le.\n" +
					"3. Vous avez donné votre carte ? Faites opposition **tout de suite** auprès de votre banque, au numéro écrit au dos de la carte.\n" +
					"4. Signalez-le ici : vos signalements permettent de faire fermer le site.\n\n" +
					"Un transporteur ne demande jamais de payer des frais par SMS. En cas de doute, connectez-vous vous-même au site officiel.",
			},
			EN: bulletin.Text{
				Title:   "Fake texts: \"your parcel is waiting, pay the fee\"",
				Summary: "Hundreds of text messages are asking right now for a 1.99 euro delivery or customs fee. The link leads to a fake site that steals your bank card.",
				Looks: "- \"Your parcel is waiting for delivery. Pay the 1.99 euro fee: lnk.example/…\"\n" +
					"- \"La Poste: your parcel could not be delivered. Reschedule delivery here …\"\n" +
					"- a short link, a 01 99 00 … number to call back, urgency (\"final notice\")\n\n" +
					"The site copies La Poste or a courier, then asks for your card number and the code you get by text.",
				Do: "1. Do not click and do not call the number back.\n" +
					"2. Forward the text to **33700** (free), then delete it.\n" +
					"3. Gave your card? Stop it **at once** with your bank, on the number on the back of the card.\n" +
					"4. Report it here: your reports get the site closed.\n\n" +
					"A courier never asks you to pay a fee by text. In doubt, go to the official site yourself.",
			},
		},
		{
			Slug: "faux-conseiller-bancaire", Level: bulletin.LevelAlert, Audiences: []bulletin.Audience{bulletin.AudienceSeniors, bulletin.AudienceEveryone},
			Category: report.CatFakeAdviser, ValidFrom: from,
			FR: bulletin.Text{
				Title:   "Faux conseiller bancaire : votre banque ne vous demandera jamais vos codes",
				Summary: "Un appel affiche le numéro de votre banque. La personne connaît votre nom, signale une « opération suspecte » et vous fait valider une opération pour « l’annuler ».",
				Looks: "- un appel dont le numéro affiché est celui de votre agence (il est falsifié)\n" +
					"- une voix calme qui parle de fraude et vous presse d’agir\n" +
					"- une demande de code reçu par SMS, de validation dans l’application, ou de remettre votre carte à un « coursier »",
				Do: "- Raccrochez. Rappelez vous-même votre banque au numéro écrit au dos de votre carte.\n" +
					"- Ne donnez **jamais** un code, ne validez rien, ne remettez votre carte à personne.\n" +
					"- Vous avez validé une opération ? Appelez votre banque pour faire opposition, puis faites une pré-plainte.",
			},
			EN: bulletin.Text{
				Title:   "Fake bank adviser: your bank will never ask for your codes",
				Summary: "A call shows your bank's number. The caller knows your name, reports a \"suspicious transaction\" and has you approve a transaction to \"cancel\" it.",
				Looks: "- a call showing your branch's number (it is spoofed)\n" +
					"- a calm voice talking about fraud and rushing you\n" +
					"- a request for a code sent by text, an approval in the app, or to hand your card to a \"courier\"",
				Do: "- Hang up. Call your bank yourself on the number on the back of your card.\n" +
					"- **Never** give a code, approve nothing, hand your card to nobody.\n" +
					"- Approved a transaction? Call your bank to stop your card, then file a pre-complaint.",
			},
		},
		{
			Slug: "faux-sites-de-vente", Level: bulletin.LevelWarning, Audiences: []bulletin.Audience{bulletin.AudienceEveryone, bulletin.AudienceBusiness},
			Category: report.CatFakeShop, ValidFrom: from, ValidUntil: from.AddDate(0, 1, 0),
			FR: bulletin.Text{
				Title:   "Faux sites de déstockage de marques",
				Summary: "Des publicités sur les réseaux sociaux mènent à des boutiques de « déstockage » à –70 %. La commande est payée, rien n’arrive, le site disparaît.",
				Looks: "- des prix très bas sur des marques connues, un compte à rebours\n" +
					"- un site créé il y a quelques semaines, sans mentions légales ni adresse en France\n" +
					"- un paiement par virement ou par carte sur une page qui n’est pas celle de la banque",
				Do: "- Avant d’acheter, cherchez le nom du site suivi de « avis » ou « arnaque ».\n" +
					"- Payez par carte, jamais par virement ni par coupon.\n" +
					"- Vous avez payé ? Demandez à votre banque la contestation de l’opération, gardez les preuves (commande, courriels) et signalez le site.",
			},
			EN: bulletin.Text{
				Title:   "Fake brand clearance shops",
				Summary: "Ads on social networks lead to \"clearance\" shops at 70% off. The order is paid, nothing comes, the site disappears.",
				Looks: "- very low prices on well-known brands, a countdown\n" +
					"- a site made a few weeks ago, with no legal notice and no address in France\n" +
					"- payment by transfer, or by card on a page that is not your bank's",
				Do: "- Before buying, search for the site's name with \"review\" or \"scam\".\n" +
					"- Pay by card, never by transfer or voucher.\n" +
					"- Paid? Ask your bank to dispute the payment, keep the evidence (order, emails) and report the site.",
			},
		},
		{
			Slug: "sextorsion-adolescents", Level: bulletin.LevelAlert, Audiences: []bulletin.Audience{bulletin.AudienceYoung},
			Category: report.CatExtortion, ValidFrom: from,
			FR: bulletin.Text{
				Title:   "Sextorsion : des adolescents menacés de voir leurs photos diffusées",
				Summary: "De faux profils de jeunes filles ou de jeunes garçons obtiennent une photo intime, puis exigent de l’argent en menaçant de l’envoyer aux amis et à la famille.",
				Looks: "- une personne inconnue, très gentille, qui propose vite de passer sur une autre appli\n" +
					"- des échanges de photos de plus en plus intimes\n" +
					"- puis des menaces : « paie 200 € ou j’envoie tout à tes contacts », avec une capture de ta liste d’amis",
				Do: "1. Ne paie pas : ils ne s’arrêtent jamais après un paiement.\n" +
					"2. Ne supprime pas la conversation : fais des captures d’écran, puis bloque et signale le compte.\n" +
					"3. Appelle le **3018** (gratuit, anonyme, 7 jours sur 7) : il peut faire retirer les images.\n" +
					"4. Parles-en à un adulte de confiance. Ce n’est pas ta faute.\n\n" +
					"[Plus de conseils sur le site du 3018](https://www.3018.fr/)",
			},
			EN: bulletin.Text{
				Title:   "Sextortion: teenagers threatened with their photos being shared",
				Summary: "Fake profiles of girls or boys get an intimate photo, then demand money, threatening to send it to friends and family.",
				Looks: "- a stranger, very friendly, who soon suggests moving to another app\n" +
					"- more and more intimate photos exchanged\n" +
					"- then threats: \"pay 200 euros or I send everything to your contacts\", with a screenshot of your friends list",
				Do: "1. Do not pay: they never stop after a payment.\n" +
					"2. Do not delete the conversation: take screenshots, then block and report the account.\n" +
					"3. Call **3018** (free, anonymous, 7 days a week): it can get the images taken down.\n" +
					"4. Talk to an adult you trust. It is not your fault.\n\n" +
					"[More advice on the 3018 site (in French)](https://www.3018.fr/)",
			},
		},
	}
}
