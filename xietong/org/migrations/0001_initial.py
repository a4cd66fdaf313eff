import django.core.validators
import django.db.models.deletion
import xietong.org.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='Organization',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('timezone', models.CharField(default='Asia/Shanghai', max_length=64, verbose_name='timezone')),
                ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], default='zh-hans', max_length=8, verbose_name='language')),
                ('schedule', models.JSONField(blank=True, default=dict, verbose_name='schedule')),
            ],
            options={
                'verbose_name': 'organization',
                'verbose_name_plural': 'organization',
            },
        ),
        migrations.CreateModel(
            name='Person',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('password', models.CharField(max_length=128, verbose_name='password')),
                ('last_login', models.DateTimeField(blank=True, null=True, verbose_name='last login')),
                ('is_superuser', models.BooleanField(default=False, help_text='Designates that this user has all permissions without explicitly assigning them.', verbose_name='superuser status')),
                ('username', models.CharField(max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_.-]{0,63}$', 'A username starts with a lower-case letter or digit and uses a–z, 0–9, “_”, “.” and “-” (at most 64).')], verbose_name='username')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail')),
                ('title', models.CharField(blank=True, max_length=100, verbose_name='title')),
                ('level', models.CharField(choices=[('staff', 'Staff'), ('manager', 'Manager'), ('executive', 'Executive')], default='staff', max_length=16, verbose_name='level')),
                ('is_admin', models.BooleanField(default=False, verbose_name='administrator')),
                ('is_coordinator', models.BooleanField(default=False, verbose_name='coordinator')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('language', models.CharField(blank=True, choices=[('zh-hans', '简体中文'), ('en', 'English')], max_length=8, verbose_name='language')),
                ('date_joined', models.DateTimeField(auto_now_add=True, verbose_name='joined')),
                ('groups', models.ManyToManyField(blank=True, help_text='The groups this user belongs to. A user will get all permissions granted to each of their groups.', related_name='user_set', related_query_name='user', to='auth.group', verbose_name='groups')),
                ('user_permissions', models.ManyToManyField(blank=True, help_text='Specific permissions for this user.', related_name='user_set', related_query_name='user', to='auth.permission', verbose_name='user permissions')),
            ],
            options={
                'verbose_name': 'person',
                'verbose_name_plural': 'people',
                'ordering': ('username',),
            },
            managers=[
                ('objects', xietong.org.models.PersonManager()),
            ],
        ),
        migrations.CreateModel(
            name='Committee',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('code', models.CharField(max_length=32, unique=True, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$', 'A code starts with a letter or digit and uses letters, digits, “_”, “.” and “-” (at most 32).')], verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('chair', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='chair')),
                ('members', models.ManyToManyField(related_name='committees', to=settings.AUTH_USER_MODEL, verbose_name='members')),
            ],
            options={
                'verbose_name': 'committee',
                'verbose_name_plural': 'committees',
                'ordering': ('code',),
            },
        ),
        migrations.CreateModel(
            name='Department',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('code', models.CharField(max_length=32, unique=True, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$', 'A code starts with a letter or digit and uses letters, digits, “_”, “.” and “-” (at most 32).')], verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('schedule', models.JSONField(blank=True, null=True, verbose_name='own schedule')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('deputy_liaison', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deputy_liaison_departments', to=settings.AUTH_USER_MODEL, verbose_name='deputy liaison')),
                ('head', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='headed_departments', to=settings.AUTH_USER_MODEL, verbose_name='head')),
                ('liaison', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='liaison_departments', to=settings.AUTH_USER_MODEL, verbose_name='liaison')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='org.department', verbose_name='parent department')),
            ],
            options={
                'verbose_name': 'department',
                'verbose_name_plural': 'departments',
                'ordering': ('code',),
            },
        ),
        migrations.AddField(
            model_name='person',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='members', to='org.department', verbose_name='department'),
        ),
        migrations.AddConstraint(
            model_name='department',
            constraint=models.CheckConstraint(condition=models.Q(('parent', models.F('pk')), _negated=True), name='org_department_not_own_parent'),
        ),
    ]
