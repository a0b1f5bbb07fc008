// Field viewer: texts in Vietnamese (default) and English, the vocabulary of states (labels and
// colours from gis/choices.py, given by the page), and number/date formatting. The language is
// kept in localStorage (shared with the login page).
(function (TGV) {
  "use strict";
  var LANG_KEY = "telecom-gis-lang";
  var TEXTS = {
    vi: {
      "app.title": "Bản đồ kiểm tra cáp",
      "lang.other": "EN",
      "lang.switch": "Switch to English",
      "top.locate": "Vị trí",
      "top.campaign": "Chiến dịch",
      "top.sync": "Đồng bộ",
      "top.menu": "Thêm",
      "legend.title": "Tô màu theo",
      "legend.compliance": "Tuân thủ",
      "legend.placement": "Loại cáp",
      "status.offline": "Mất kết nối: các bản ghi được lưu trên máy và gửi khi có mạng",
      "status.loading": "Đang tải đoạn cáp…",
      "status.loaded": "{n} đoạn cáp",
      "status.capped": "Hiển thị {n} đoạn đầu tiên; phóng to để xem đủ",
      "status.zoomIn": "Phóng to để tải đoạn cáp",
      "status.tiles": "Tổng quan theo hình thức lắp đặt; phóng to để chọn đoạn cáp",
      "status.cached": "Ngoại tuyến: {n} đoạn cáp đã lưu trên máy",
      "status.error": "Không tải được đoạn cáp: {e}",
      "sheet.close": "Đóng",
      "details.title": "Đoạn cáp #{id}",
      "details.route": "Tuyến",
      "details.operator": "Doanh nghiệp",
      "details.commune": "Xã/phường",
      "details.placement": "Hình thức",
      "details.kind": "Kiểu lắp đặt",
      "details.tidied": "Đã chỉnh trang",
      "details.lifecycle": "Trạng thái",
      "details.since": "Từ ngày",
      "details.length": "Chiều dài",
      "details.compliance": "Tuân thủ",
      "details.history": "Lịch sử",
      "details.visits": "Các lần kiểm tra",
      "details.violations": "Vi phạm chưa khắc phục",
      "details.none": "Không có",
      "details.record": "Ghi nhận kiểm tra",
      "details.loading": "Đang tải chi tiết…",
      "details.offline": "Chưa có chi tiết ngoại tuyến của đoạn này; thông tin trên là từ bản đồ.",
      "details.due": "hạn {date}",
      "details.overdue": "quá hạn",
      "details.results": "{pass} đạt · {fail} không đạt · {nc} chưa KT",
      "details.photos": "ảnh {got}/{want}",
      "yes": "Có",
      "no": "Không",
      "nearest.title": "Đoạn cáp gần bạn",
      "nearest.waiting": "Đang lấy vị trí GPS…",
      "nearest.accuracy": "Vị trí của bạn (±{a} m)",
      "nearest.none": "Không có đoạn cáp trong bán kính {r} m",
      "nearest.unavailable": "Không lấy được vị trí: {e}",
      "nearest.offline": "Ngoại tuyến: tính từ các đoạn cáp đã lưu",
      "form.title": "Ghi nhận kiểm tra",
      "form.segment": "Đoạn cáp",
      "form.campaign": "Chiến dịch",
      "form.noCampaign": "(Không thuộc chiến dịch)",
      "form.gps": "Vị trí GPS",
      "form.gpsWaiting": "đang lấy…",
      "form.gpsNone": "không có",
      "form.gpsFix": "±{a} m",
      "form.checklist": "Danh mục kiểm tra ({version})",
      "form.restPass": "Các mục chưa chọn: Đạt",
      "form.measured": "Giá trị đo ({unit})",
      "form.limit": "giới hạn: {kind} {value} {unit}",
      "form.limit.max": "tối đa",
      "form.limit.min": "tối thiểu",
      "form.itemNote": "Ghi chú mục",
      "form.note": "Ghi chú chung",
      "form.photos": "Ảnh",
      "form.addPhoto": "Chụp / thêm ảnh",
      "form.remove": "Bỏ",
      "form.submit": "Lưu và gửi",
      "form.cancel": "Hủy",
      "form.missing": "Chưa chọn kết quả cho: {items}",
      "form.saved": "Đã lưu bản ghi vào hàng đợi đồng bộ",
      "form.photoTooBig": "Ảnh {name} quá lớn ({size} MB, tối đa {max} MB)",
      "form.photoType": "Ảnh {name} không phải JPEG, PNG hoặc WebP",
      "form.noChecklist": "Chưa có danh mục kiểm tra trên máy (cần kết nối mạng một lần).",
      "form.noItems": "Không có mục kiểm tra nào cho loại cáp này.",
      "sync.title": "Đồng bộ",
      "sync.now": "Đồng bộ ngay",
      "sync.empty": "Chưa có bản ghi nào trên máy.",
      "sync.clearSent": "Xóa các bản đã gửi xong",
      "sync.retry": "Thử lại",
      "sync.discard": "Xóa",
      "sync.confirmDiscard": "Xóa bản ghi này khỏi máy? Nó sẽ không được gửi.",
      "sync.state.queued": "Chờ gửi",
      "sync.state.sending": "Đang gửi",
      "sync.state.sent": "Đã gửi",
      "sync.state.failed": "Lỗi",
      "sync.visit": "Kiểm tra đoạn #{segment}",
      "sync.recorded": "Đã ghi nhận: lượt kiểm tra #{id}",
      "sync.photo": "Ảnh {slot}",
      "sync.waitVisit": "chờ bản ghi được nhận",
      "sync.network": "không có mạng, sẽ thử lại",
      "sync.login": "Phiên đăng nhập hết hạn: đăng nhập lại để gửi",
      "sync.otherUser": "Ghi bởi {user}: chỉ gửi khi {user} đăng nhập trên máy này",
      "sync.retryAt": "thử lại lúc {time}",
      "sync.pending": "{n} bản ghi chờ gửi",
      "campaign.title": "Chiến dịch của tôi",
      "campaign.none": "Không có chiến dịch nào đang diễn ra giao cho bạn.",
      "campaign.assigned": "Được giao",
      "campaign.open": "Mở cho mọi thanh tra viên",
      "campaign.period": "{from} – {to}",
      "campaign.progress": "{visited}/{total} đoạn đã được kiểm tra",
      "campaign.todo": "Bạn chưa kiểm tra {n} đoạn",
      "campaign.todoCapped": "Đã tải {loaded}/{total} đoạn của chiến dịch; trong số đó bạn chưa kiểm tra {n} đoạn",
      "campaign.allDone": "Bạn đã kiểm tra tất cả các đoạn của chiến dịch.",
      "campaign.byOther": "người khác đã kiểm tra",
      "campaign.more": "… và {n} đoạn khác (xem trên bản đồ)",
      "campaign.loading": "Đang tải chiến dịch…",
      "menu.title": "Thêm",
      "menu.user": "Đăng nhập: {user}",
      "menu.signOut": "Đăng xuất",
      "login.needed": "Cần đăng nhập lại"
    },
    en: {
      "app.title": "Cable inspection map",
      "lang.other": "VI",
      "lang.switch": "Chuyển sang tiếng Việt",
      "top.locate": "Locate me",
      "top.campaign": "Campaign",
      "top.sync": "Sync",
      "top.menu": "More",
      "legend.title": "Colour by",
      "legend.compliance": "Compliance",
      "legend.placement": "Placement",
      "status.offline": "Offline: records are kept on this device and sent when online",
      "status.loading": "Loading segments…",
      "status.loaded": "{n} segments",
      "status.capped": "Showing the first {n} segments; zoom in to see all",
      "status.zoomIn": "Zoom in to load segments",
      "status.tiles": "Overview by placement; zoom in to select a segment",
      "status.cached": "Offline: {n} segments saved on this device",
      "status.error": "Could not load segments: {e}",
      "sheet.close": "Close",
      "details.title": "Segment #{id}",
      "details.route": "Route",
      "details.operator": "Operator",
      "details.commune": "Commune",
      "details.placement": "Placement",
      "details.kind": "Kind",
      "details.tidied": "Tidied",
      "details.lifecycle": "Lifecycle",
      "details.since": "Since",
      "details.length": "Length",
      "details.compliance": "Compliance",
      "details.history": "History",
      "details.visits": "Visits",
      "details.violations": "Open violations",
      "details.none": "None",
      "details.record": "Record a visit",
      "details.loading": "Loading details…",
      "details.offline": "No offline details for this segment yet; the above is from the map.",
      "details.due": "due {date}",
      "details.overdue": "overdue",
      "details.results": "{pass} pass · {fail} fail · {nc} not checked",
      "details.photos": "photos {got}/{want}",
      "yes": "Yes",
      "no": "No",
      "nearest.title": "Segments near you",
      "nearest.waiting": "Getting your GPS position…",
      "nearest.accuracy": "Your position (±{a} m)",
      "nearest.none": "No segment within {r} m",
      "nearest.unavailable": "Position unavailable: {e}",
      "nearest.offline": "Offline: computed from the saved segments",
      "form.title": "Record a visit",
      "form.segment": "Segment",
      "form.campaign": "Campaign",
      "form.noCampaign": "(No campaign)",
      "form.gps": "GPS position",
      "form.gpsWaiting": "waiting…",
      "form.gpsNone": "none",
      "form.gpsFix": "±{a} m",
      "form.checklist": "Checklist ({version})",
      "form.restPass": "Items not set yet: Pass",
      "form.measured": "Measured value ({unit})",
      "form.limit": "limit: {kind} {value} {unit}",
      "form.limit.max": "at most",
      "form.limit.min": "at least",
      "form.itemNote": "Item note",
      "form.note": "Note",
      "form.photos": "Photos",
      "form.addPhoto": "Take / add a photo",
      "form.remove": "Remove",
      "form.submit": "Save and send",
      "form.cancel": "Cancel",
      "form.missing": "No result chosen for: {items}",
      "form.saved": "The record is saved in the sync queue",
      "form.photoTooBig": "Photo {name} is too large ({size} MB, at most {max} MB)",
      "form.photoType": "Photo {name} is not JPEG, PNG or WebP",
      "form.noChecklist": "No checklist on this device yet (needs the network once).",
      "form.noItems": "No checklist item applies to this placement.",
      "sync.title": "Sync",
      "sync.now": "Sync now",
      "sync.empty": "No record on this device yet.",
      "sync.clearSent": "Remove the records fully sent",
      "sync.retry": "Retry",
      "sync.discard": "Discard",
      "sync.confirmDiscard": "Remove this record from the device? It will not be sent.",
      "sync.state.queued": "Queued",
      "sync.state.sending": "Sending",
      "sync.state.sent": "Sent",
      "sync.state.failed": "Failed",
      "sync.visit": "Visit of segment #{segment}",
      "sync.recorded": "Recorded as visit #{id}",
      "sync.photo": "Photo {slot}",
      "sync.waitVisit": "waiting for the visit to be accepted",
      "sync.network": "no network, will retry",
      "sync.login": "Session expired: sign in again to send",
      "sync.otherUser": "Recorded by {user}: sent only when {user} signs in on this device",
      "sync.retryAt": "retry at {time}",
      "sync.pending": "{n} records waiting",
      "campaign.title": "My campaign",
      "campaign.none": "No campaign assigned to you is running today.",
      "campaign.assigned": "Assigned to you",
      "campaign.open": "Open to every inspector",
      "campaign.period": "{from} – {to}",
      "campaign.progress": "{visited}/{total} segments visited",
      "campaign.todo": "{n} segments you have not visited",
      "campaign.todoCapped": "{loaded} of the campaign's {total} segments loaded; {n} of them you have not visited",
      "campaign.allDone": "You have visited every segment of the campaign.",
      "campaign.byOther": "visited by a colleague",
      "campaign.more": "… and {n} more (see the map)",
      "campaign.loading": "Loading the campaign…",
      "menu.title": "More",
      "menu.user": "Signed in: {user}",
      "menu.signOut": "Sign out",
      "login.needed": "Please sign in again"
    }
  };

  var lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "vi";
  var vocabulary = {};          // kind -> value -> {vi, en, colour}
  var order = {};               // kind -> values in display order
  var listeners = [];

  function t(key, params) {
    var text = TEXTS[lang][key];
    if (text === undefined) { text = TEXTS.vi[key] !== undefined ? TEXTS.vi[key] : key; }
    if (params) {
      text = text.replace(/\{(\w+)\}/g, function (all, name) {
        return params[name] !== undefined && params[name] !== null ? String(params[name]) : "";
      });
    }
    return text;
  }

  function entry(kind, value) {
    var table = vocabulary[kind];
    return table ? table[value] : undefined;
  }

  function apply(root) {
    document.documentElement.lang = lang;
    (root || document).querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.dataset.i18n);
    });
    (root || document).querySelectorAll("[data-i18n-title]").forEach(function (el) {
      el.title = t(el.dataset.i18nTitle);
      el.setAttribute("aria-label", el.title);
    });
  }

  function locale() { return lang === "vi" ? "vi-VN" : "en-GB"; }

  TGV.i18n = {
    t: t,
    apply: apply,
    get lang() { return lang; },
    /** The page's vocabulary: {kind: [{value, vi, en, colour}, ...]} in display order. */
    setVocabulary: function (v) {
      vocabulary = {};
      order = {};
      Object.keys(v || {}).forEach(function (kind) {
        vocabulary[kind] = {};
        order[kind] = v[kind].map(function (e) { vocabulary[kind][e.value] = e; return e.value; });
      });
    },
    /** Label of a state value in the current language (the value itself when unknown). */
    label: function (kind, value) {
      var e = entry(kind, value);
      return e ? e[lang] : String(value);
    },
    /** Map colour (CSS) of a state value, grey when unknown. */
    colour: function (kind, value) {
      var e = entry(kind, value);
      return e ? e.colour : "#777777";
    },
    values: function (kind) { return (order[kind] || []).slice(); },
    setLang: function (value) {
      lang = value === "en" ? "en" : "vi";
      localStorage.setItem(LANG_KEY, lang);
      apply(document);
      listeners.forEach(function (fn) { fn(lang); });
    },
    onChange: function (fn) { listeners.push(fn); },
    number: function (value, digits) {
      return Number(value).toLocaleString(locale(), { maximumFractionDigits: digits || 0 });
    },
    date: function (iso) {
      if (!iso) { return ""; }
      var d = new Date(iso.length === 10 ? iso + "T00:00:00" : iso);
      return d.toLocaleDateString(locale());
    },
    dateTime: function (iso) {
      if (!iso) { return ""; }
      return new Date(iso).toLocaleString(locale(), { dateStyle: "short", timeStyle: "short" });
    },
    time: function (ms) {
      return new Date(ms).toLocaleTimeString(locale(), { timeStyle: "short" });
    }
  };
})(window.TGV = window.TGV || {});
