"""Traffic generator: realistic customer tweets for the simulated platform.

Given a seed, the sequence of generated tweets (author, text, language, kind, thread) is
the same every time for the same platform state. Tweets mention the seven brand accounts
in their languages (the locale accounts in de, fr, es, pt and tr; @Firefox and
@FirefoxSupport mostly in English), and are of these kinds:

``compliment``, ``roundup`` (app lists), ``support`` (bookmarks, crashes, sync, passwords,
video, extensions...), ``feedback``, ``feature`` (feature requests), ``followup`` (a customer
answering a brand account's reply, or adding to their own earlier tweet), ``spam``
(crypto / follow-back), ``search`` (needs Firefox support but mentions no brand account;
found by search terms such as ``firefox crash``, ``firefox bookmarks``, ``firefox sync``)
and ``retweet`` ("RT @..."). About one author in twenty is a verified influencer with
250k+ followers. Authors come from a fixed pool of a few hundred people whose ids never
change, so the same person writes again.

``TrafficGenerator.generate(n)`` makes n tweets at once; ``start(rate_per_minute)`` runs a
background thread that makes them at that average rate (Poisson arrivals).
"""

from __future__ import annotations

import random
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from .accounts import BRAND_ACCOUNTS
from .state import PlatformState

LANGS = ("en", "de", "fr", "es", "pt", "tr")

# ---------------------------------------------------------------------- templates
# {m} is replaced by the brand mention(s); {os}, {ver}, {site}, {ext}, {year} by details.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "en": {
        "compliment": [
            "{m} Firefox is the best browser! Switched from Chrome last month and never looking back.",
            "Honestly {m} the new Firefox update feels so fast. Great work!",
            "Shoutout to {m} for keeping the web open. Firefox forever 🦊",
            "{m} just wanted to say thanks, Firefox on {os} has been rock solid for me.",
            "Been using Firefox for 10 years and it keeps getting better {m} ❤️",
            "The container tabs in Firefox are a game changer. Thank you {m}!",
            "{m} your reader view saved my eyes today. Love it.",
            "Nothing beats Firefox with uBlock Origin. {m} you rock",
            "{m} Firefox Focus is exactly what I wanted on my phone. Clean and private.",
        ],
        "roundup": [
            "My favourite desktop apps: Firefox, VS Code, Obsidian and Spotify. {m}",
            "My favorite desktop apps of {year}: 1. Firefox 2. Thunderbird 3. VLC 4. Signal {m}",
            "Setting up my new laptop. First installs: Firefox, Bitwarden, Slack, GIMP. {m}",
            "Apps I can't live without on {os}: Firefox, Notion, Discord, Steam {m}",
            "Top 5 privacy tools: Firefox, Proton Mail, Signal, Mullvad, Bitwarden {m}",
            "{m} made the list! My essential dev toolkit: Firefox Developer Edition, Git, Docker, Postman",
            "Fresh {os} install checklist: ✅ Firefox ✅ LibreOffice ✅ VLC ✅ KeePassXC {m}",
            "Students, here are my must-have study apps: Firefox, Anki, Zotero, Notion. {m}",
        ],
        "support": [
            "{m} I can't find my bookmarks after updating to Firefox {ver}. Where did they go?",
            "{m} Firefox keeps crashing every time I open a video on {site}. Running {os}. Any ideas?",
            "Hey {m}, sync stopped working between my laptop and my phone. Bookmarks aren't showing up on Android.",
            "{m} all my saved passwords disappeared after the update. Please help, I need them for work!",
            "Videos on {site} just show a black screen in Firefox but work fine in other browsers {m}",
            "{m} my extensions were all disabled after restarting Firefox. How do I get them back?",
            "Why is Firefox so slow today {m}? Pages take forever to load on {os}.",
            "{m} I accidentally closed a window with 40 tabs. Is there any way to restore them?",
            "Firefox won't open PDFs anymore, it just downloads them {m} how do I change that?",
            "{m} my homepage keeps changing to some weird search engine. How do I fix this?",
            "Firefox is using 6GB of RAM with only 5 tabs open {m}. Is that normal?",
            "{m} I can't log in to my Mozilla account, the verification email never arrives.",
            "After updating to {ver} Firefox crashes on startup. Tried troubleshoot mode, still crashes {m}",
            "{m} how do I import my bookmarks from Chrome? The import button does nothing.",
            "No sound in Firefox on {os} since this morning. Other apps are fine {m}",
            "{m} the {ext} extension stopped working after the last update, anyone else?",
        ],
        "feedback": [
            "{m} the new tab page design is cleaner but I miss the old shortcuts layout.",
            "Not a fan of the new toolbar icons {m}, they're hard to tell apart.",
            "{m} the update changed where the downloads button is. Please stop moving things around 😩",
            "Translation in Firefox works surprisingly well offline, nice job {m}. A bit slow on long pages though.",
            "{m} the new PDF editor is great, but signing documents could be easier.",
            "Honest feedback {m}: Firefox on Android is great but the address bar at the bottom takes getting used to.",
            "{m} the cookie banner blocker is amazing, it doesn't work on {site} though.",
            "Firefox {ver} feels snappier on {os}, but startup is still slower than it used to be {m}",
        ],
        "feature": [
            "{m} I hope there will be vertical tabs on mobile in the next update!",
            "Please {m} add a way to sync tab groups between devices. I'd switch full-time.",
            "{m} would love a built-in option to mute all tabs at once.",
            "Feature request {m}: let me set a default zoom per site from the settings page.",
            "I hope there will be improvement in the next update for battery life on {os} {m}",
            "{m} any chance of a built-in screenshot editor? Cropping after the fact would be great.",
            "Dear {m}, please bring back compact mode as a normal option 🙏",
            "{m} could you add a password health report right in the password manager?",
        ],
        "followup_brand": [
            "Thanks, that worked! 🙌",
            "I tried that but it's still not working.",
            "That fixed it, you're the best!",
            "Done, but the problem came back after a restart.",
            "Which version should I be on? I'm on {ver}.",
            "Cleared the cache like you said, still the same issue on {os}.",
            "Ok, I'll try that tonight and let you know.",
            "Thank you for the quick reply! All good now.",
        ],
        "followup_self": [
            "{m} any update on this? Still happening.",
            "{m} still stuck with this, anyone?",
            "Update: restarting didn't help. {m}",
            "{m} it's been two days, can someone please look at this?",
            "Same problem on my other laptop too {m}",
            "{m} never mind, found the solution in the support forum!",
            "Also happens in private windows {m}",
            "{m} hello?? really need help with this",
        ],
        "spam": [
            "{m} 🚀🚀 Turn $100 into $10,000 with our AI crypto bot! DM me now 💰 https://bit.ly/cr7pto",
            "{m} follow back? I always follow back 💯 #followback #f4f",
            "{m} Earn passive income from home with Bitcoin mining. Limited spots! https://t.co/xYz12AbC",
            "Free iPhone giveaway!!! Retweet and follow {m} to enter 🎁🎁",
            "{m} get 10k followers in 24 hours, cheap price, DM for details",
            "{m} NEW token launching 🌕 100x guaranteed #crypto #memecoin",
            "{m} hey dear, I saw your profile and I want to be friends, check my bio 😘",
            "{m} claim your airdrop now before it ends!! https://airdrop-claim.example.com",
        ],
        "search": [
            "Firefox crash again. Third time today. I'm losing my mind.",
            "Is anyone else getting a firefox crash when opening Google Docs?",
            "ugh firefox bookmarks gone after the update, years of stuff 😭",
            "How do I get my Firefox bookmarks back?? Please someone help",
            "firefox sync is broken for me, my phone shows nothing from the desktop",
            "Does Firefox sync even work with tab groups? Can't get it to show up",
            "Firefox crash on {os} whenever I plug in a second monitor, anyone seen this?",
            "Lost all my firefox passwords after reinstalling {os}. Is there a backup somewhere?",
        ],
    },
    "de": {
        "compliment": [
            "{m} Firefox ist einfach der beste Browser! Seit Jahren treu dabei 🦊",
            "Danke {m}, das neue Firefox-Update ist richtig schnell geworden.",
            "{m} Endlich ein Browser, der meine Privatsphäre respektiert. Großartige Arbeit!",
            "Firefox auf {os} läuft bei mir absolut stabil. Danke an das Team {m}",
            "{m} Die Container-Tabs sind genial, benutze sie jeden Tag.",
        ],
        "roundup": [
            "Meine liebsten Desktop-Apps: Firefox, Thunderbird, VLC und KeePassXC {m}",
            "Neuer Laptop, erste Installationen: Firefox, LibreOffice, Signal {m}",
            "Meine Top 5 Datenschutz-Tools: Firefox, Signal, Threema, Proton, Bitwarden {m}",
            "{m} Unverzichtbare Apps unter {os}: Firefox, Obsidian, Spotify, GIMP",
        ],
        "support": [
            "{m} Nach dem Update sind alle meine Lesezeichen weg. Wie bekomme ich sie zurück?",
            "{m} Firefox stürzt ständig ab, sobald ich ein Video auf {site} öffne. Was kann ich tun?",
            "Hallo {m}, die Synchronisierung zwischen Handy und Laptop funktioniert nicht mehr.",
            "{m} Meine gespeicherten Passwörter sind verschwunden! Bitte um Hilfe.",
            "{m} Seit Version {ver} werden meine Erweiterungen nicht mehr geladen.",
            "Firefox ist unter {os} extrem langsam geworden {m}. Liegt das am Update?",
        ],
        "feedback": [
            "{m} Das neue Design der Tab-Leiste gefällt mir, aber die Symbole sind zu klein.",
            "Ehrliches Feedback {m}: Die Adressleiste unten auf Android ist gewöhnungsbedürftig.",
            "{m} Die Übersetzungsfunktion ist super, auf langen Seiten aber etwas langsam.",
            "Warum wurde der Download-Button verschoben {m}? Bitte nicht ständig alles ändern 😩",
        ],
        "feature": [
            "{m} Ich hoffe, im nächsten Update gibt es vertikale Tabs auch auf dem Handy!",
            "Wunsch an {m}: Tab-Gruppen zwischen Geräten synchronisieren. Das wäre top.",
            "{m} Bitte eine Option, alle Tabs auf einmal stummzuschalten.",
            "Ich hoffe auf eine bessere Akkulaufzeit unter {os} im nächsten Update {m}",
        ],
        "followup_brand": [
            "Danke, das hat funktioniert! 🙌",
            "Habe ich probiert, leider geht es immer noch nicht.",
            "Super, jetzt läuft alles wieder. Vielen Dank!",
            "Nach einem Neustart ist das Problem leider wieder da.",
        ],
        "followup_self": [
            "{m} Gibt es schon Neuigkeiten dazu? Das Problem besteht weiterhin.",
            "Update: Neustart hat nichts gebracht. {m}",
            "{m} Passiert übrigens auch im privaten Fenster.",
            "{m} Hat sich erledigt, Lösung im Forum gefunden!",
        ],
        "spam": [
            "{m} 💰 Verdiene 5000€ pro Woche mit Krypto-Trading! Schreib mir per DM",
            "{m} Folgst du mir zurück? Ich folge garantiert zurück 💯 #followback",
            "{m} Gratis Bitcoin für die ersten 100! Link in Bio 🚀",
            "{m} Günstige Follower kaufen, 10k in 24 Stunden, DM für Preise",
        ],
        "search": [
            "Schon wieder ein Firefox crash beim Öffnen von Google Docs. Nervt!",
            "Meine Firefox Lesezeichen sind nach dem Update weg, hat jemand eine Idee?",
            "Firefox sync zeigt auf dem Handy nichts mehr an. Kennt das jemand?",
            "Firefox crash unter {os} bei jedem Start, was ist da los?",
        ],
    },
    "fr": {
        "compliment": [
            "{m} Firefox est vraiment le meilleur navigateur ! Merci pour tout 🦊",
            "La dernière mise à jour de Firefox est super rapide, bravo {m} !",
            "{m} Enfin un navigateur qui respecte ma vie privée. Continuez comme ça !",
            "Firefox sur {os} tourne nickel depuis des mois. Merci l'équipe {m}",
        ],
        "roundup": [
            "Mes applis préférées sur ordinateur : Firefox, Thunderbird, VLC et Notion {m}",
            "Nouveau PC, premières installations : Firefox, LibreOffice, Signal {m}",
            "Mon top 5 des outils pour la vie privée : Firefox, Signal, Proton, Bitwarden, Tor {m}",
            "{m} Les applis indispensables sous {os} : Firefox, Obsidian, Spotify, GIMP",
        ],
        "support": [
            "{m} Je ne retrouve plus mes marque-pages depuis la mise à jour. Comment les récupérer ?",
            "{m} Firefox plante à chaque fois que j'ouvre une vidéo sur {site}. Une idée ?",
            "Bonjour {m}, la synchronisation entre mon téléphone et mon PC ne marche plus.",
            "{m} Tous mes mots de passe enregistrés ont disparu ! Au secours",
            "{m} Depuis la version {ver}, mes extensions sont désactivées. Que faire ?",
        ],
        "feedback": [
            "{m} Le nouveau design des onglets est joli mais les icônes sont trop petites.",
            "Retour honnête {m} : la barre d'adresse en bas sur Android, j'ai du mal à m'habituer.",
            "{m} La traduction intégrée est géniale, un peu lente sur les longues pages par contre.",
            "Pourquoi avoir déplacé le bouton des téléchargements {m} ? 😩",
        ],
        "feature": [
            "{m} J'espère qu'il y aura les onglets verticaux sur mobile dans la prochaine mise à jour !",
            "Suggestion pour {m} : synchroniser les groupes d'onglets entre appareils.",
            "{m} Ce serait top d'avoir une option pour couper le son de tous les onglets d'un coup.",
            "J'espère une amélioration de l'autonomie sous {os} dans la prochaine version {m}",
        ],
        "followup_brand": [
            "Merci, ça a marché ! 🙌",
            "J'ai essayé mais ça ne fonctionne toujours pas.",
            "Parfait, tout refonctionne. Merci beaucoup !",
            "Le problème est revenu après un redémarrage.",
        ],
        "followup_self": [
            "{m} Des nouvelles ? Le problème est toujours là.",
            "Mise à jour : le redémarrage n'a rien changé. {m}",
            "{m} Ça arrive aussi en navigation privée.",
            "{m} C'est bon, j'ai trouvé la solution sur le forum !",
        ],
        "spam": [
            "{m} 💰 Gagnez 5000€ par semaine avec la crypto ! Écrivez-moi en DM",
            "{m} Tu me suis en retour ? Je follow back à 100% 💯 #followback",
            "{m} Bitcoin gratuit pour les 100 premiers ! Lien dans la bio 🚀",
            "{m} Achetez des abonnés pas chers, 10k en 24h, DM pour les prix",
        ],
        "search": [
            "Encore un Firefox crash en ouvrant Google Docs, c'est pénible",
            "Mes marque-pages Firefox ont disparu après la mise à jour, quelqu'un a une idée ?",
            "Firefox sync ne marche plus sur mon téléphone, vous avez le même souci ?",
            "Firefox plante au démarrage sous {os}, help",
        ],
    },
    "es": {
        "compliment": [
            "{m} ¡Firefox es el mejor navegador! Gracias por tanto 🦊",
            "La última actualización de Firefox va rapidísima, ¡buen trabajo {m}!",
            "{m} Por fin un navegador que respeta mi privacidad. ¡Seguid así!",
            "Firefox en {os} funciona perfecto desde hace meses. Gracias {m}",
        ],
        "roundup": [
            "Mis apps favoritas de escritorio: Firefox, Thunderbird, VLC y Notion {m}",
            "Portátil nuevo, lo primero que instalo: Firefox, LibreOffice, Signal {m}",
            "Mi top 5 de herramientas de privacidad: Firefox, Signal, Proton, Bitwarden, Tor {m}",
            "{m} Apps imprescindibles en {os}: Firefox, Obsidian, Spotify, GIMP",
        ],
        "support": [
            "{m} No encuentro mis marcadores después de actualizar. ¿Cómo los recupero?",
            "{m} Firefox se cierra cada vez que abro un vídeo en {site}. ¿Alguna idea?",
            "Hola {m}, la sincronización entre el móvil y el portátil ya no funciona.",
            "{m} ¡Han desaparecido todas mis contraseñas guardadas! Ayuda por favor",
            "{m} Desde la versión {ver} mis extensiones no cargan. ¿Qué hago?",
        ],
        "feedback": [
            "{m} El nuevo diseño de las pestañas está bien, pero los iconos son muy pequeños.",
            "Opinión sincera {m}: cuesta acostumbrarse a la barra de direcciones abajo en Android.",
            "{m} La traducción integrada es genial, aunque algo lenta en páginas largas.",
            "¿Por qué movisteis el botón de descargas {m}? 😩",
        ],
        "feature": [
            "{m} ¡Espero que en la próxima actualización haya pestañas verticales en el móvil!",
            "Sugerencia para {m}: sincronizar los grupos de pestañas entre dispositivos.",
            "{m} Estaría genial una opción para silenciar todas las pestañas a la vez.",
            "Ojalá mejore la batería en {os} en la próxima versión {m}",
        ],
        "followup_brand": [
            "¡Gracias, funcionó! 🙌",
            "Lo probé pero sigue sin funcionar.",
            "Perfecto, ya va todo bien. ¡Muchas gracias!",
            "Después de reiniciar el problema volvió.",
        ],
        "followup_self": [
            "{m} ¿Alguna novedad? Sigue pasando.",
            "Actualización: reiniciar no sirvió de nada. {m}",
            "{m} También pasa en ventanas privadas.",
            "{m} Ya está, encontré la solución en el foro.",
        ],
        "spam": [
            "{m} 💰 ¡Gana 5000€ a la semana con cripto! Escríbeme por DM",
            "{m} ¿Me sigues? Sigo de vuelta seguro 💯 #followback",
            "{m} ¡Bitcoin gratis para los primeros 100! Link en la bio 🚀",
            "{m} Compra seguidores baratos, 10k en 24h, DM para precios",
        ],
        "search": [
            "Otro Firefox crash al abrir Google Docs, qué pesadilla",
            "Se borraron mis marcadores de Firefox tras la actualización, ¿alguien sabe qué hacer?",
            "Firefox sync no me funciona en el móvil, ¿a alguien más le pasa?",
            "Firefox se cierra solo en {os} al arrancar, ayuda",
        ],
    },
    "pt": {
        "compliment": [
            "{m} Firefox é o melhor navegador! Valeu demais 🦊",
            "A última atualização do Firefox ficou muito rápida, parabéns {m}!",
            "{m} Finalmente um navegador que respeita minha privacidade. Continuem assim!",
            "Firefox no {os} está rodando liso há meses. Obrigado {m}",
        ],
        "roundup": [
            "Meus apps favoritos no desktop: Firefox, Thunderbird, VLC e Notion {m}",
            "Notebook novo, primeiras instalações: Firefox, LibreOffice, Signal {m}",
            "Meu top 5 de ferramentas de privacidade: Firefox, Signal, Proton, Bitwarden, Tor {m}",
            "{m} Apps indispensáveis no {os}: Firefox, Obsidian, Spotify, GIMP",
        ],
        "support": [
            "{m} Não encontro meus favoritos depois da atualização. Como recupero?",
            "{m} O Firefox fecha sozinho toda vez que abro um vídeo no {site}. Alguma ideia?",
            "Oi {m}, a sincronização entre o celular e o notebook parou de funcionar.",
            "{m} Todas as minhas senhas salvas sumiram! Socorro",
            "{m} Desde a versão {ver} minhas extensões não carregam. O que eu faço?",
        ],
        "feedback": [
            "{m} O novo visual das abas ficou bonito, mas os ícones estão muito pequenos.",
            "Feedback sincero {m}: a barra de endereço embaixo no Android demora pra acostumar.",
            "{m} A tradução integrada é ótima, só um pouco lenta em páginas grandes.",
            "Por que mudaram o botão de downloads de lugar {m}? 😩",
        ],
        "feature": [
            "{m} Espero que na próxima atualização tenha abas verticais no celular!",
            "Sugestão pro {m}: sincronizar grupos de abas entre dispositivos.",
            "{m} Seria ótimo ter uma opção pra silenciar todas as abas de uma vez.",
            "Tomara que melhore a bateria no {os} na próxima versão {m}",
        ],
        "followup_brand": [
            "Valeu, funcionou! 🙌",
            "Tentei, mas continua sem funcionar.",
            "Perfeito, voltou tudo ao normal. Muito obrigado!",
            "Depois de reiniciar o problema voltou.",
        ],
        "followup_self": [
            "{m} Alguma novidade? Continua acontecendo.",
            "Atualização: reiniciar não resolveu. {m}",
            "{m} Acontece também na janela privativa.",
            "{m} Resolvido, achei a solução no fórum!",
        ],
        "spam": [
            "{m} 💰 Ganhe R$5000 por semana com cripto! Me chama na DM",
            "{m} Segue de volta? Sigo de volta com certeza 💯 #followback",
            "{m} Bitcoin grátis pros 100 primeiros! Link na bio 🚀",
            "{m} Compre seguidores baratos, 10k em 24h, DM pra preços",
        ],
        "search": [
            "Mais um Firefox crash abrindo o Google Docs, que raiva",
            "Meus favoritos do Firefox sumiram depois da atualização, alguém sabe resolver?",
            "Firefox sync não funciona no meu celular, mais alguém?",
            "Firefox fechando sozinho no {os} ao iniciar, socorro",
        ],
    },
    "tr": {
        "compliment": [
            "{m} Firefox gerçekten en iyi tarayıcı! Emeğinize sağlık 🦊",
            "Firefox'un son güncellemesi çok hızlı olmuş, tebrikler {m}!",
            "{m} Sonunda gizliliğime saygı duyan bir tarayıcı. Böyle devam!",
            "Firefox {os} üzerinde aylardır sorunsuz çalışıyor. Teşekkürler {m}",
        ],
        "roundup": [
            "Masaüstünde en sevdiğim uygulamalar: Firefox, Thunderbird, VLC ve Notion {m}",
            "Yeni laptop, ilk kurduklarım: Firefox, LibreOffice, Signal {m}",
            "Gizlilik için ilk 5 aracım: Firefox, Signal, Proton, Bitwarden, Tor {m}",
            "{m} {os} için vazgeçilmez uygulamalar: Firefox, Obsidian, Spotify, GIMP",
        ],
        "support": [
            "{m} Güncellemeden sonra yer imlerimi bulamıyorum. Nasıl geri getirebilirim?",
            "{m} {site} sitesinde video açınca Firefox çöküyor. Ne yapabilirim?",
            "Merhaba {m}, telefonla bilgisayar arasında senkronizasyon çalışmıyor.",
            "{m} Kayıtlı tüm şifrelerim kayboldu! Yardım edin lütfen",
            "{m} {ver} sürümünden beri eklentilerim yüklenmiyor. Ne yapmalıyım?",
        ],
        "feedback": [
            "{m} Sekmelerin yeni tasarımı güzel ama simgeler çok küçük.",
            "Dürüst geri bildirim {m}: Android'de adres çubuğunun altta olmasına alışmak zor.",
            "{m} Dahili çeviri harika ama uzun sayfalarda biraz yavaş.",
            "İndirme düğmesinin yerini neden değiştirdiniz {m}? 😩",
        ],
        "feature": [
            "{m} Umarım bir sonraki güncellemede mobilde dikey sekmeler gelir!",
            "{m} için öneri: sekme gruplarını cihazlar arasında senkronize etmek.",
            "{m} Tüm sekmelerin sesini tek seferde kapatma seçeneği olsa harika olur.",
            "Umarım bir sonraki sürümde {os} üzerinde pil ömrü iyileşir {m}",
        ],
        "followup_brand": [
            "Teşekkürler, işe yaradı! 🙌",
            "Denedim ama hâlâ çalışmıyor.",
            "Harika, her şey düzeldi. Çok teşekkürler!",
            "Yeniden başlattıktan sonra sorun geri geldi.",
        ],
        "followup_self": [
            "{m} Bununla ilgili bir gelişme var mı? Sorun devam ediyor.",
            "Güncelleme: yeniden başlatmak işe yaramadı. {m}",
            "{m} Gizli pencerede de oluyor.",
            "{m} Tamamdır, çözümü forumda buldum!",
        ],
        "spam": [
            "{m} 💰 Kripto ile haftada 5000 TL kazan! DM at",
            "{m} Takipleşelim mi? Geri takip garantili 💯 #followback",
            "{m} İlk 100 kişiye bedava Bitcoin! Link profilde 🚀",
            "{m} Ucuz takipçi satın al, 24 saatte 10 bin, fiyat için DM",
        ],
        "search": [
            "Google Docs açarken yine Firefox crash, bıktım",
            "Güncellemeden sonra Firefox yer imleri kayboldu, bilen var mı?",
            "Firefox sync telefonda çalışmıyor, sizde de oluyor mu?",
            "Firefox {os} açılışta çöküyor, yardım",
        ],
    },
}

DETAILS = {
    "os": [
        "Windows 11",
        "Windows 10",
        "macOS",
        "macOS Sonoma",
        "Ubuntu",
        "Linux Mint",
        "Fedora",
        "Android",
        "my iPhone",
        "my Pixel",
    ],
    "ver": ["131", "132.0.2", "133", "134.0.1", "135", "136.0", "137.0.2"],
    "site": ["YouTube", "Netflix", "Twitch", "Vimeo", "Disney+", "Prime Video"],
    "ext": ["uBlock Origin", "Bitwarden", "Dark Reader", "Grammarly", "1Password", "Tampermonkey"],
    "year": ["2026"],
}
# Per-language wording of the details that are not proper names.
LOCAL_OS = {
    "de": ["Windows 11", "Windows 10", "macOS", "Ubuntu", "Linux Mint", "Android", "dem iPhone"],
    "fr": ["Windows 11", "Windows 10", "macOS", "Ubuntu", "Linux", "Android"],
    "es": ["Windows 11", "Windows 10", "macOS", "Ubuntu", "Linux", "Android"],
    "pt": ["Windows 11", "Windows 10", "macOS", "Ubuntu", "Linux", "Android"],
    "tr": ["Windows 11", "Windows 10", "macOS", "Ubuntu", "Linux", "Android"],
}

# In the background traffic, the share of new tweets after which a customer deletes a recent one.
DELETE_SHARE = 0.03
KIND_WEIGHTS = {
    "support": 30,
    "compliment": 10,
    "roundup": 5,
    "feedback": 10,
    "feature": 10,
    "followup": 12,
    "spam": 6,
    "search": 11,
    "retweet": 6,
}

# ---------------------------------------------------------------------- people
FIRST_NAMES = {
    "en": [
        "James",
        "Olivia",
        "Liam",
        "Emma",
        "Noah",
        "Ava",
        "Ethan",
        "Sophia",
        "Mason",
        "Isabella",
        "Lucas",
        "Mia",
        "Logan",
        "Amelia",
        "Aiden",
        "Harper",
        "Jack",
        "Evelyn",
        "Ryan",
        "Chloe",
        "Priya",
        "Arjun",
        "Kenji",
        "Aisha",
        "Tyrone",
        "Megan",
        "Connor",
        "Zoe",
        "Dylan",
        "Grace",
    ],
    "de": [
        "Lukas",
        "Anna",
        "Jonas",
        "Lea",
        "Felix",
        "Hannah",
        "Maximilian",
        "Laura",
        "Paul",
        "Sophie",
        "Leon",
        "Marie",
        "Tim",
        "Julia",
        "Niklas",
        "Katharina",
    ],
    "fr": [
        "Lucas",
        "Camille",
        "Hugo",
        "Manon",
        "Louis",
        "Chloé",
        "Jules",
        "Léa",
        "Arthur",
        "Inès",
        "Théo",
        "Sarah",
        "Nathan",
        "Clara",
    ],
    "es": [
        "Alejandro",
        "Lucía",
        "Daniel",
        "Martina",
        "Pablo",
        "Sofía",
        "Javier",
        "Valeria",
        "Diego",
        "Carmen",
        "Sergio",
        "Paula",
        "Mateo",
        "Elena",
    ],
    "pt": [
        "João",
        "Maria",
        "Pedro",
        "Ana",
        "Gabriel",
        "Juliana",
        "Rafael",
        "Beatriz",
        "Lucas",
        "Larissa",
        "Gustavo",
        "Camila",
        "Thiago",
        "Fernanda",
    ],
    "tr": [
        "Mehmet",
        "Ayşe",
        "Mustafa",
        "Fatma",
        "Ahmet",
        "Zeynep",
        "Emre",
        "Elif",
        "Burak",
        "Merve",
        "Can",
        "Selin",
        "Murat",
        "Ece",
    ],
}
LAST_NAMES = {
    "en": [
        "Smith",
        "Johnson",
        "Brown",
        "Taylor",
        "Miller",
        "Wilson",
        "Moore",
        "Clark",
        "Walker",
        "Hall",
        "Young",
        "King",
        "Wright",
        "Patel",
        "Nguyen",
        "Okafor",
        "Murphy",
        "Kelly",
        "Reed",
        "Cooper",
    ],
    "de": [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Schulz",
        "Koch",
        "Richter",
    ],
    "fr": [
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Simon",
        "Laurent",
        "Lefebvre",
        "Girard",
    ],
    "es": [
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Ruiz",
        "Díaz",
        "Moreno",
    ],
    "pt": [
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Rodrigues",
        "Ferreira",
        "Alves",
        "Pereira",
        "Lima",
        "Gomes",
        "Costa",
        "Ribeiro",
    ],
    "tr": [
        "Yılmaz",
        "Kaya",
        "Demir",
        "Şahin",
        "Çelik",
        "Yıldız",
        "Yıldırım",
        "Öztürk",
        "Aydın",
        "Özdemir",
        "Arslan",
        "Doğan",
    ],
}
HANDLE_WORDS = [
    "tech",
    "dev",
    "codes",
    "writes",
    "photo",
    "gamer",
    "music",
    "art",
    "design",
    "runs",
    "travels",
    "reads",
    "cooks",
    "the",
    "real",
    "its",
]
LOCATIONS = {
    "en": [
        "London",
        "Austin, TX",
        "Toronto",
        "Sydney",
        "Dublin",
        "Bangalore",
        "Seattle",
        "Manchester",
        "",
    ],
    "de": ["Berlin", "München", "Hamburg", "Köln", "Wien", "Zürich", ""],
    "fr": ["Paris", "Lyon", "Marseille", "Bruxelles", "Montréal", "Toulouse", ""],
    "es": ["Madrid", "Barcelona", "Ciudad de México", "Buenos Aires", "Bogotá", "Sevilla", ""],
    "pt": [
        "São Paulo",
        "Rio de Janeiro",
        "Belo Horizonte",
        "Porto Alegre",
        "Recife",
        "Curitiba",
        "",
    ],
    "tr": ["İstanbul", "Ankara", "İzmir", "Bursa", "Antalya", ""],
}
SPAM_HANDLES = [
    "crypto_king",
    "moon_gains",
    "btc_signals",
    "followback4u",
    "free_airdrop",
    "nft_whale",
    "promo_boost",
    "richdad_fx",
    "hot_deals",
    "gain_trick",
    "coin_rocket",
    "f4f_team",
]
AUTHOR_POOL_SEED = 20261127  # fixed: the same people (ids, handles) on every run
FIRST_AUTHOR_ID = 1_400_000_000


@dataclass(frozen=True)
class Persona:
    id: str
    username: str
    name: str
    lang: str
    followers_count: int
    following_count: int
    verified: bool
    location: str
    description: str
    spammer: bool = False


def _ascii(s: str) -> str:
    s = s.replace("ı", "i").replace("İ", "I").replace("ş", "s").replace("ğ", "g")
    return "".join(
        c for c in unicodedata.normalize("NFKD", s) if c.isascii() and (c.isalnum() or c == "_")
    )


def build_author_pool() -> list[Persona]:
    """The fixed pool of ~300 customers (and a few spammers), same ids on every run."""
    rng = random.Random(AUTHOR_POOL_SEED)
    people: list[Persona] = []
    used: set[str] = {a.username.lower() for a in BRAND_ACCOUNTS}
    counts = {"en": 90, "de": 45, "fr": 45, "es": 45, "pt": 45, "tr": 40}
    next_id = FIRST_AUTHOR_ID
    for lang, count in counts.items():
        made = 0
        while made < count:
            first = rng.choice(FIRST_NAMES[lang])
            last = rng.choice(LAST_NAMES[lang])
            f, l_ = _ascii(first), _ascii(last)
            style = rng.randrange(6)
            if style == 0:
                handle = f + l_
            elif style == 1:
                handle = f"{f.lower()}_{l_.lower()}"
            elif style == 2:
                handle = f"{f.lower()}{rng.randrange(1, 9999)}"
            elif style == 3:
                handle = f"{f[0].lower()}{l_.lower()}{rng.randrange(10, 99)}"
            elif style == 4:
                handle = f"{f.lower()}{rng.choice(HANDLE_WORDS)}"
            else:
                handle = f"{rng.choice(HANDLE_WORDS)}_{f.lower()}"
            handle = handle[:15]
            if (
                handle.lower() in used
                or "firefox" in handle.lower()
                or "mozilla" in handle.lower()
            ):
                continue
            used.add(handle.lower())
            influencer = rng.random() < 0.05
            if influencer:
                followers = rng.randrange(250_000, 3_000_000)
                desc = rng.choice(
                    [
                        "Tech journalist.",
                        "YouTuber, 1M+ subs.",
                        "Podcast host.",
                        "Open source maintainer.",
                        "Author & speaker.",
                    ]
                )
            else:
                followers = int(rng.lognormvariate(5.0, 1.4))
                desc = rng.choice(
                    [
                        "",
                        "Coffee, code and cats.",
                        "Student.",
                        "Views are my own.",
                        "Gamer and tinkerer.",
                        "Designer.",
                        "Dad of two.",
                        "Linux user.",
                    ]
                )
            next_id += rng.randrange(1_000, 90_000)
            people.append(
                Persona(
                    id=str(next_id),
                    username=handle,
                    name=f"{first} {last}" if rng.random() < 0.8 else first,
                    lang=lang,
                    followers_count=followers,
                    following_count=rng.randrange(20, 2_000),
                    verified=influencer,
                    location=rng.choice(LOCATIONS[lang]),
                    description=desc,
                )
            )
            made += 1
    for base in SPAM_HANDLES:
        next_id += rng.randrange(1_000, 90_000)
        handle = f"{base}{rng.randrange(100, 9999)}"[:15]
        people.append(
            Persona(
                id=str(next_id),
                username=handle,
                name=base.replace("_", " ").title() + " 🚀",
                lang="en",
                followers_count=rng.randrange(0, 80),
                following_count=rng.randrange(3_000, 7_500),
                verified=False,
                location="",
                description="DM for promo 💰",
                spammer=True,
            )
        )
    return people


AUTHOR_POOL: list[Persona] = build_author_pool()


class TrafficGenerator:
    """Makes customer tweets on a :class:`PlatformState`; deterministic for a seed."""

    def __init__(self, state: PlatformState, seed: int = 1):
        self.state = state
        self.seed = seed
        self.rng = random.Random(seed)
        self.kinds: dict[str, str] = {}  # tweet id -> kind, for tests and benchmarks
        self.by_lang = {
            lang: [p for p in AUTHOR_POOL if p.lang == lang and not p.spammer] for lang in LANGS
        }
        self.spammers = [p for p in AUTHOR_POOL if p.spammer]
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.rate_per_minute = 0.0

    def reset(self) -> None:
        """Forget what was generated (the platform state was reset); the random sequence goes on."""
        with self._lock:
            self.kinds.clear()

    # -------------------------------------------------------------- choosing
    def _pick_brand(self) -> tuple[str, str]:
        """(brand username, tweet language)."""
        r = self.rng.random()
        if r < 0.27:
            brand = "Firefox"
        elif r < 0.58:
            brand = "FirefoxSupport"
        else:
            brand = self.rng.choice([a.username for a in BRAND_ACCOUNTS[2:]])
        acc = next(a for a in BRAND_ACCOUNTS if a.username == brand)
        lang = acc.language
        if lang == "en" and self.rng.random() < 0.2:
            lang = self.rng.choice(LANGS[1:])
        return brand, lang

    def _pick_author(self, lang: str, spam: bool = False) -> Persona:
        if spam:
            return self.rng.choice(self.spammers)
        pool = self.by_lang[lang]
        if self.rng.random() < 0.25:
            return self.rng.choice(pool[:12])  # regulars write often
        return self.rng.choice(pool)

    def _fill(self, template: str, lang: str, mention: str) -> str:
        text = template
        for key, values in DETAILS.items():
            token = "{" + key + "}"
            if token in text:
                choices = LOCAL_OS.get(lang, values) if key == "os" else values
                text = text.replace(token, self.rng.choice(choices))
        return text.replace("{m}", mention).strip()

    def _register(self, p: Persona):
        return self.state.upsert_customer(
            p.username,
            p.name,
            id=p.id,
            followers_count=p.followers_count,
            following_count=p.following_count,
            verified=p.verified,
            description=p.description,
            location=p.location,
            lang=p.lang,
        )

    # -------------------------------------------------------------- making tweets
    def generate_one(self) -> dict[str, Any]:
        """Make one customer tweet now and return it (stored fields + author_username + kind)."""
        with self._lock, self.state.lock:
            kinds = list(KIND_WEIGHTS)
            kind = self.rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]
            tweet = None
            if kind == "followup":
                tweet = self._followup()
            elif kind == "retweet":
                tweet = self._retweet()
            if tweet is None:
                if kind in ("followup", "retweet"):
                    kind = "support"
                tweet = self._original(kind)
            self.kinds[tweet["id"]] = kind
            tweet["kind"] = kind
            return tweet

    def _original(self, kind: str) -> dict[str, Any]:
        brand, lang = self._pick_brand()
        if kind == "search":
            lang = "en" if self.rng.random() < 0.6 else self.rng.choice(LANGS[1:])
        author = self._pick_author(lang, spam=(kind == "spam"))
        mention = "@" + brand
        if brand == "Firefox" and kind == "support" and self.rng.random() < 0.15:
            mention = "@Firefox @FirefoxSupport"
        template = self.rng.choice(TEMPLATES[lang][kind])
        text = self._fill(template, lang, mention)
        user = self._register(author)
        t = self.state.customer_tweet(user, text, lang=lang)
        t["author_username"] = user.username
        return t

    def _recent(self, pred, limit: int = 200) -> list[dict[str, Any]]:
        out = []
        for tid in reversed(self.state.order[-limit:]):
            if tid in self.state.deleted:
                continue
            t = self.state.tweets[tid]
            if pred(t):
                out.append(t)
        return out

    def _followup(self) -> dict[str, Any] | None:
        users = self.state.users
        brand_ids = {a.id for a in BRAND_ACCOUNTS}
        # a customer answering a brand account's reply to them
        brand_replies = self._recent(
            lambda t: (
                t["author_id"] in brand_ids
                and t.get("in_reply_to_user_id") not in (None, *brand_ids)
            )
        )
        if brand_replies and self.rng.random() < 0.75:
            parent = self.rng.choice(brand_replies[:20])
            customer = users[parent["in_reply_to_user_id"]]
            brand = users[parent["author_id"]]
            lang = customer.lang if customer.lang in LANGS else "en"
            if brand.lang != "en":
                lang = brand.lang
            text = self._fill(
                self.rng.choice(TEMPLATES[lang]["followup_brand"]), lang, "@" + brand.username
            )
            t = self.state.customer_tweet(
                customer, text, lang=lang, in_reply_to_tweet_id=parent["id"]
            )
            t["author_username"] = customer.username
            return t
        # a customer adding to their own earlier support tweet
        own = self._recent(lambda t: self.kinds.get(t["id"]) == "support")
        if not own:
            return None
        parent = self.rng.choice(own[:30])
        customer = users[parent["author_id"]]
        mentions = [
            m["username"]
            for m in parent.get("entities", {}).get("mentions", [])
            if m.get("id") in brand_ids
        ]
        mention = "@" + mentions[0] if mentions else ""
        lang = parent["lang"]
        text = self._fill(self.rng.choice(TEMPLATES[lang]["followup_self"]), lang, mention)
        text = " ".join(text.split())
        t = self.state.customer_tweet(customer, text, lang=lang, in_reply_to_tweet_id=parent["id"])
        t["author_username"] = customer.username
        return t

    def _retweet(self) -> dict[str, Any] | None:
        candidates = self._recent(
            lambda t: self.kinds.get(t["id"]) in ("compliment", "roundup", "feedback")
        )
        if not candidates:
            return None
        original = self.rng.choice(candidates[:30])
        author = self._pick_author(original["lang"])
        if author.id == original["author_id"]:
            return None
        user = self._register(author)
        t = self.state.customer_tweet(user, "", retweet_of_tweet_id=original["id"])
        t["author_username"] = user.username
        return t

    def delete_one(self) -> str | None:
        """A customer deletes one of their recent tweets (they thought better of it, or it was
        answered elsewhere); returns its id."""
        brand_ids = {a.id for a in BRAND_ACCOUNTS}
        with self._lock, self.state.lock:
            candidates = self._recent(lambda t: t["author_id"] not in brand_ids, limit=60)
            if not candidates:
                return None
            tweet = self.rng.choice(candidates)
            self.state.delete_tweet(tweet["id"])
            return tweet["id"]

    def generate(self, n: int) -> list[dict[str, Any]]:
        """Make ``n`` customer tweets right now (no thread)."""
        return [self.generate_one() for _ in range(n)]

    # -------------------------------------------------------------- background thread
    def start(self, rate_per_minute: float = 6) -> None:
        """Start (or re-rate) the background generator; 0 stops it."""
        if rate_per_minute <= 0:
            self.stop()
            return
        self.rate_per_minute = float(rate_per_minute)
        self.state.traffic_rate_per_minute = self.rate_per_minute
        self._wake.set()
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="twitter-sim-traffic", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self.rate_per_minute = 0.0
        self.state.traffic_rate_per_minute = 0.0
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        timing = random.Random(self.seed + 1)
        while not self._stop.is_set():
            rate = self.rate_per_minute
            if rate <= 0:
                break
            delay = timing.expovariate(rate / 60.0)
            self._wake.clear()
            if self._wake.wait(delay):
                continue  # rate changed or stop asked: draw a new delay
            if self._stop.is_set():
                break
            self.generate_one()
            if timing.random() < DELETE_SHARE:
                self.delete_one()
